"""services: dispatch."""
