"""services: catalogue."""
