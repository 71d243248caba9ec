"""No background work yet."""
