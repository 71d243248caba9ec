"""Nothing here: sections and lessons are written through their services and pages only."""
