"""/api/v1/scheduling/ — operations."""

from ninja import Router

router = Router(tags=["排课与课表"])
