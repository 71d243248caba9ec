"""forms: slots."""
