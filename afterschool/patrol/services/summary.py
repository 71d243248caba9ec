"""The patrol summary only reads; what it writes is the audit of its exports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import PermissionDenied
from afterschool.core.export import build_xlsx
from afterschool.tenancy.actor import Actor

from ..selectors import summary as selectors

SUMMARY_HEADERS = [
    "上课课次", "已巡课次", "巡课覆盖率（%）", "巡课次数", "平均得分率（%）", "教师不在岗次数", "得分最低的评价项",
    "该项得分率（%）",
]  # fmt: skip


def _number(value: Decimal | None) -> float | str:
    return float(value) if value is not None else ""


def summary_rows(rows: list[selectors.SummaryRow]) -> list[list[Any]]:
    return [
        [
            row.name, row.held, row.patrolled, _number(row.coverage_percent), row.patrols,
            _number(row.average_percent), row.teacher_absent, row.lowest_item, _number(row.lowest_item_percent),
        ]
        for row in rows
    ]  # fmt: skip


def summary_export(*, actor: Actor, filters: dict[str, Any] | None = None, school_id: int | None = None) -> bytes:
    """The summary per school (or, for one school, per section) as xlsx; audited."""
    if not selectors.may_read_summary(actor):
        raise PermissionDenied("只有教育局可以查看巡课汇总")
    date_from, date_to = selectors.date_range(filters)
    if school_id is None:
        rows = selectors.school_summary(actor=actor, filters=filters)
        first = "学校"
    else:
        rows = selectors.section_summary(actor=actor, school_id=school_id, filters=filters)
        first = "课班"
    record_write(
        actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
        detail={
            "what": "patrol_summary", "rows": len(rows), "school": school_id,
            "filters": {"date_from": str(date_from), "date_to": str(date_to)},
        },
    )  # fmt: skip
    return build_xlsx(headers=[first, *SUMMARY_HEADERS], rows=summary_rows(rows), sheet_title="巡课汇总")
