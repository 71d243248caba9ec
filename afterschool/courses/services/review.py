"""services: review."""
