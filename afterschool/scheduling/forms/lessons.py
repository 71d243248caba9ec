"""forms: lessons."""
