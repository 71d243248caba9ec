"""Reads of school basic information, one module per area; every selector starts from `scoped()`."""
