"""Forms of enrollments."""
