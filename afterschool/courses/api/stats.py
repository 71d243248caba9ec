"""/api/v1/courses/ — stats."""

from ninja import Router

router = Router(tags=["课程与师资"])
