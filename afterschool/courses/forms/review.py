"""Forms: review."""
