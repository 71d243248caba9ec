"""/api/v1/courses/ — review."""

from ninja import Router

router = Router(tags=["课程与师资"])
