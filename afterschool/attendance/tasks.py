"""Background tasks of attendance (none yet)."""
