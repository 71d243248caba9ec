"""forms: reconciliation."""
