"""selectors: supervision."""
