"""selectors: lessons."""
