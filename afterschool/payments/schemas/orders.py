"""schemas: orders."""
