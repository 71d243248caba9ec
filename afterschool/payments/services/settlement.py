"""services: settlement."""
