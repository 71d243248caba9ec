"""schemas: sections."""
