"""selectors: operations."""
