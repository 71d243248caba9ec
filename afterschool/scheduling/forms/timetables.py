"""forms: timetables."""
