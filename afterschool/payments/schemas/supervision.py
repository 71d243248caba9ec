"""schemas: supervision."""
