"""forms: supervision."""
