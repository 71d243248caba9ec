"""/api/v1/scheduling/ — lessons."""

from ninja import Router

router = Router(tags=["排课与课表"])
