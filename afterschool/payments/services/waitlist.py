"""services: waitlist."""
