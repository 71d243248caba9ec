"""Forms: teachers."""
