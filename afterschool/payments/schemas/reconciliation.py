"""schemas: reconciliation."""
