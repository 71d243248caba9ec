"""services: operations."""
