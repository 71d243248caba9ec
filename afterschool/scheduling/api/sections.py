"""/api/v1/scheduling/ — sections."""

from ninja import Router

router = Router(tags=["排课与课表"])
