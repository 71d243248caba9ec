"""schemas: operations."""
