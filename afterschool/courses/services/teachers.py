"""services: teachers."""
