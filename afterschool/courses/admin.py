"""Nothing here: courses are written through their services and pages only."""
