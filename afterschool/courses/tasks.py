"""No background work for courses yet."""
