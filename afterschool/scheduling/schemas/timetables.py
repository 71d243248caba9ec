"""schemas: timetables."""
