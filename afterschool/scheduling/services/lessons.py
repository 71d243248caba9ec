"""services: lessons."""
