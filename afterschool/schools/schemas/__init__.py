"""API schemas of school basic information, one module per area."""
