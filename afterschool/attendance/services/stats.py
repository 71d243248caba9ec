"""services: stats — the statistics only read; what they write is the audit of their exports."""

from __future__ import annotations

from typing import Any

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.tenancy.actor import Actor


def stats_export_record(*, actor: Actor, what: str, rows: int, filters: dict[str, Any] | None = None) -> None:
    """Audit an xlsx export of attendance statistics: who, which list, how many rows, with which filters."""
    record_write(
        actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
        detail={"what": what, "rows": rows, "filters": {k: str(v) for k, v in (filters or {}).items() if v}},
    )  # fmt: skip
