"""/api/v1/attendance/ — checkin."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["考勤与请假"])
