"""Relational storage: SQLite by default, PostgreSQL for larger groups, one schema via Alembic."""
