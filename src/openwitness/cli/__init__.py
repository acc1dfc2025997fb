"""The ``witness`` command: a thin translation from arguments to the core and back."""
