"""forms: settlement."""
