"""Pages of enrollments."""
