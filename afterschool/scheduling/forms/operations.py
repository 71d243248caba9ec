"""forms: operations."""
