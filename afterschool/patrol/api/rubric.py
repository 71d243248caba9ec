"""/api/v1/patrol/ — rubric."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["巡课"])
