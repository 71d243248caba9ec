"""/api/v1/scheduling/ — slots."""

from ninja import Router

router = Router(tags=["排课与课表"])
