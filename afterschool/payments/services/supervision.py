"""services: supervision."""
