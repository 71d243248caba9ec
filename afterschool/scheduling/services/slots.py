"""services: slots."""
