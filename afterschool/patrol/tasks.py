"""Background tasks of patrol (none yet)."""
