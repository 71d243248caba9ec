"""Background tasks of feedback (none yet)."""
