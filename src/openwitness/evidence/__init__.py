"""Evidence intake: storing uploads, recognising their type and reading their metadata."""
