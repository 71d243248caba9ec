"""Nothing here: written through the services and pages only."""
