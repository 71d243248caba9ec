"""services: orders."""
