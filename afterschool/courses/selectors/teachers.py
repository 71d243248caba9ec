"""selectors: teachers."""
