"""selectors: timetables."""
