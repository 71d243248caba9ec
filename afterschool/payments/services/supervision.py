"""services: supervision — fee supervision only reads; what it writes is the audit of its exports."""

from __future__ import annotations

from typing import Any

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.tenancy.actor import Actor


def fen_to_yuan(fen: int | None) -> str:
    fen = int(fen or 0)
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def export_audit(*, actor: Actor, what: str, rows: int, filters: dict[str, Any] | None = None) -> None:
    """Record an xlsx export (who, what, how many rows, with which filters)."""
    record_write(
        actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
        detail={"what": what, "rows": rows, "filters": {k: str(v) for k, v in (filters or {}).items() if v}},
    )  # fmt: skip
