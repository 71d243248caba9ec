"""Writes of enrollments."""
