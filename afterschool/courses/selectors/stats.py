"""selectors: stats."""
