"""Storyboard Studio's core: models, catalog, pricing, compile, providers, jobs, store. No Streamlit here."""
