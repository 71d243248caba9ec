"""Writes of school basic information, one module per workflow (terms, structure, people, venues, imports …)."""
