"""selectors: waitlist."""
