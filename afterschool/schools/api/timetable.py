"""/api/v1/schools/ — timetable."""

from ninja import Router

router = Router(tags=["学校基础信息"])
