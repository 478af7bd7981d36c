"""Hosted mode: who is calling (OAuth 2.1, external JWTs, API keys), and which LinkedIn accounts
they may drive (the vault)."""
