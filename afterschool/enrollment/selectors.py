"""Reads of enrollments."""
