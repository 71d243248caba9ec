"""services: reconciliation."""
