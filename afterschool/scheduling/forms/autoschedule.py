"""forms: autoschedule."""
