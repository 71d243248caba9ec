"""schemas: stats."""
