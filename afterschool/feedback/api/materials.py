"""/api/v1/feedback/ — materials."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["课堂风采与评价"])
