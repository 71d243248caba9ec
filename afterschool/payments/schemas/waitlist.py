"""schemas: waitlist."""
