"""Loopback fakes of the providers' HTTP APIs, written from shared/docs/providers.md."""
