"""/api/v1/courses/ — dispatch."""

from ninja import Router

router = Router(tags=["课程与师资"])
