"""selectors: dispatch."""
