"""Forms: dispatch."""
