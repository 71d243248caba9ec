"""Schemas of enrollments."""
