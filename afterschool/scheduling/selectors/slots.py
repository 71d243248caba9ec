"""selectors: slots."""
