"""/api/v1/notifications/ — the notification centre."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["通知"])
