"""Live witness: a recording streamed, stored and logged while it is made."""
