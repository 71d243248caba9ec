"""services: stats."""
