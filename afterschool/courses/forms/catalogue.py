"""Forms: catalogue."""
