"""schemas: settlement."""
