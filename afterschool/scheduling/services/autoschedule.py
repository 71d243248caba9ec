"""services: autoschedule."""
