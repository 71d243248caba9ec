"""schemas: catalogue."""
