"""/api/v1/notifications/ — preferences."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["通知"])
