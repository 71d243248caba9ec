"""schemas: autoschedule."""
