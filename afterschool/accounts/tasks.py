"""Background work of accounts: the nightly audit chain check (scheduled by Celery beat)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from .audit import audit_verify

logger = logging.getLogger("afterschool.audit")


@shared_task(name="accounts.audit_verify_daily")
def audit_verify_daily() -> dict[str, Any]:
    """Verify every audit chain; a broken chain is logged as an error for the monitoring to raise."""
    report = audit_verify()
    if not report.ok:
        logger.error("审计日志校验失败：%s", "；".join(report.problems[:20]))
    return {"checked": report.checked, "ok": report.ok, "problems": report.problems[:100]}
