"""selectors: settlement."""
