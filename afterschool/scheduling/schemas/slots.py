"""schemas: slots."""
