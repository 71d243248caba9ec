"""selectors: autoschedule."""
