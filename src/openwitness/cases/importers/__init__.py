"""Importers of other jurisdictions' complaint records."""
