"""forms: orders."""
