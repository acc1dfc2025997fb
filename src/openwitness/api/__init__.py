"""The REST API (FastAPI): a thin translation from HTTP to the core and back."""
