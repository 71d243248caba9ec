"""forms: sections."""
