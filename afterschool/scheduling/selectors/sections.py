"""selectors: sections."""
