"""selectors: reconciliation."""
