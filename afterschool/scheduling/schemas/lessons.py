"""schemas: lessons."""
