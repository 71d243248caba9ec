"""forms: waitlist."""
