"""Reusable Streamlit pieces. Streamlit lives here and in pages/, nowhere in storyboard/."""
