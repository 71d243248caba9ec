"""/api/v1/courses/ — teachers."""

from ninja import Router

router = Router(tags=["课程与师资"])
