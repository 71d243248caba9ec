"""schemas: dispatch."""
