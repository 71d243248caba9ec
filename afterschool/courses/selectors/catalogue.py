"""selectors: catalogue."""
