"""Nothing here: orders are written through their services and pages only."""
