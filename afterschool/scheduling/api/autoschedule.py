"""/api/v1/scheduling/ — autoschedule."""

from ninja import Router

router = Router(tags=["排课与课表"])
