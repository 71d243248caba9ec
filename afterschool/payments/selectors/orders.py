"""selectors: orders."""
