"""/api/v1/scheduling/ — timetables."""

from ninja import Router

router = Router(tags=["排课与课表"])
