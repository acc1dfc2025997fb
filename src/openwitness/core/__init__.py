"""Settings and errors shared by every capability."""
