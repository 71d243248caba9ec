"""schemas: teachers."""
