"""schemas: review."""
