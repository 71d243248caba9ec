"""/api/v1/courses/ — catalogue."""

from ninja import Router

router = Router(tags=["课程与师资"])
