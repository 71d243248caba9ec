"""services: sections."""
