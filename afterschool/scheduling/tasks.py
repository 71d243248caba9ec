"""Background work of scheduling (status advance) is added with its services."""
