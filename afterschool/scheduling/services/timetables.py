"""services: timetables."""
