"""Accounts, organisations, roles and API tokens."""
