"""Fixtures the customers tests share with the API tests (the token-authenticated ``api`` client)."""
