"""Reconciliation (对账): the bank's daily statement is imported and matched against payments and refunds.

Statement format (the simulated bank's GET /api/statements/<date>, simbank/server.py `statement`), UTF-8 CSV:

    type,reference,txn_id,amount_fen,time
    payment,<order_no>,<bank txn id>,<fen>,<ISO time>
    refund,<refund_no>,<bank refund id>,<fen>,<ISO time>
    totals,payments=<n>;refunds=<m>,,<sum of payments minus refunds in fen>,

The totals line may also be written `TOTAL,<count of lines>,,<net fen>,`. Times carry an offset (or are read as
China Standard Time); every line must fall on the statement's date in Asia/Shanghai.

Matching: a bank payment line → the SUCCEEDED Payment with that bank_txn_id, else the succeeded payment of the
order with that order_no (matched, or amount_mismatch); a refund line → the SUCCEEDED Refund with that refund_no;
a line with no platform record → bank_only (长款); a platform succeeded payment/refund of that day (paid_at /
completed_at in Asia/Shanghai) absent from the file → platform_only (短款). Each item carries its school.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q

from afterschool.accounts.choices import AuditEventType
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.payments.choices import PaymentStatus, ReconciliationKind, RefundStatus
from afterschool.payments.models import BankStatement, Payment, ReconciliationItem, Refund
from afterschool.tenancy.actor import Actor

logger = logging.getLogger("afterschool.payments")

CST = ZoneInfo("Asia/Shanghai")
HEADER = ["type", "reference", "txn_id", "amount_fen", "time"]
MAX_STATEMENT_BYTES = 5 * 1024 * 1024
MAX_FEN = 2**62
_TOTALS_SIMBANK = re.compile(r"payments=(\d{1,9});refunds=(\d{1,9})")


@dataclass(frozen=True)
class StatementLine:
    line_no: int
    txn_type: str  # payment | refund
    reference: str
    txn_id: str
    amount_fen: int
    time: dt.datetime


@dataclass(frozen=True)
class ParsedStatement:
    lines: list[StatementLine]
    total_fen: int
    statement_date: dt.date | None


def _bad(line_no: int, message: str) -> ValidationFailed:
    return ValidationFailed({"file": [f"第 {line_no} 行：{message}"]}, f"对账单第 {line_no} 行：{message}")


def _decode(content: str | bytes) -> str:
    if isinstance(content, bytes):
        if len(content) > MAX_STATEMENT_BYTES:
            raise ValidationFailed({"file": ["文件过大（不超过 5 MB）"]}, "对账单文件过大（不超过 5 MB）")
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed({"file": ["不是 UTF-8 编码的 CSV"]}, "对账单不是 UTF-8 编码的 CSV") from None
    if len(content) > MAX_STATEMENT_BYTES:
        raise ValidationFailed({"file": ["文件过大（不超过 5 MB）"]}, "对账单文件过大（不超过 5 MB）")
    if "\x00" in content:
        raise ValidationFailed({"file": ["含有非法字符（NUL）"]}, "对账单含有非法字符")
    return content.lstrip("\ufeff")


def _parse_time(value: str, line_no: int) -> dt.datetime:
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _bad(line_no, f"时间“{value[:40]}”不是 ISO 8601 格式") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=CST)
    return stamp


def _parse_fen(value: str, line_no: int, *, signed: bool = False) -> int:
    pattern = r"-?\d{1,19}" if signed else r"\d{1,19}"
    if not re.fullmatch(pattern, value) or abs(int(value)) >= MAX_FEN:
        raise _bad(line_no, f"金额“{value[:40]}”不是有效的整数分")
    return int(value)


def statement_parse(content: str | bytes) -> ParsedStatement:
    """Strict parse: header, detail lines, then exactly one totals line whose count and sum agree (else 422)."""
    text = _decode(content)
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()  # trailing blank lines
    if not rows:
        raise ValidationFailed({"file": ["对账单为空"]}, "对账单为空")
    if [c.strip() for c in rows[0]] != HEADER:
        raise _bad(1, "表头应为 " + ",".join(HEADER))
    lines: list[StatementLine] = []
    seen: set[tuple[str, str]] = set()
    totals: tuple[int, list[str]] | None = None
    for index, row in enumerate(rows[1:], start=2):
        if totals is not None:
            raise _bad(index, "合计行之后不能再有内容")
        if len(row) != 5:
            raise _bad(index, f"应有 5 列，实际 {len(row)} 列")
        kind, reference, txn_id, amount, stamp = (c.strip() for c in row)
        if kind in ("TOTAL", "totals"):
            totals = (index, [kind, reference, txn_id, amount, stamp])
            continue
        if kind not in ("payment", "refund"):
            raise _bad(index, f"交易类型“{kind[:20]}”无效（应为 payment 或 refund）")
        if not reference or len(reference) > 64:
            raise _bad(index, "单号为空或过长")
        if not txn_id or len(txn_id) > 64:
            raise _bad(index, "银行流水号为空或过长")
        if (kind, reference) in seen:
            raise _bad(index, f"单号 {reference} 重复")
        seen.add((kind, reference))
        lines.append(
            StatementLine(index, kind, reference, txn_id, _parse_fen(amount, index), _parse_time(stamp, index))
        )
    if totals is None:
        raise _bad(len(rows) + 1, "缺少合计行（TOTAL 或 totals）")
    index, (kind, count_cell, _blank, total_cell, _tail) = totals
    if kind == "TOTAL":
        if not re.fullmatch(r"\d{1,9}", count_cell) or int(count_cell) != len(lines):
            raise _bad(index, f"合计笔数 {count_cell[:20]} 与明细笔数 {len(lines)} 不符")
    else:
        m = _TOTALS_SIMBANK.fullmatch(count_cell)
        n_pay = sum(1 for line in lines if line.txn_type == "payment")
        if m is None or (int(m.group(1)), int(m.group(2))) != (n_pay, len(lines) - n_pay):
            raise _bad(index, f"合计笔数“{count_cell[:40]}”与明细（支付 {n_pay}、退款 {len(lines) - n_pay}）不符")
    total = _parse_fen(total_cell, index, signed=True)
    net = sum(line.amount_fen if line.txn_type == "payment" else -line.amount_fen for line in lines)
    if total != net:
        raise _bad(index, f"合计金额 {total} 分与明细净额 {net} 分不符")
    days = {line.time.astimezone(CST).date() for line in lines}
    if len(days) > 1:
        raise ValidationFailed({"file": ["明细应属于同一天（北京时间）"]}, "对账单明细跨越多个日期")
    return ParsedStatement(lines=lines, total_fen=total, statement_date=days.pop() if days else None)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=CST)
    return start, start + dt.timedelta(days=1)


def _kind(platform_fen: int, bank_fen: int) -> str:
    return ReconciliationKind.MATCHED if platform_fen == bank_fen else ReconciliationKind.AMOUNT_MISMATCH


def _match(statement: BankStatement, parsed: ParsedStatement) -> list[ReconciliationItem]:
    """The reconciliation items of a statement (in fixed number of queries whatever the number of lines)."""
    day = statement.statement_date
    start, end = _day_bounds(day)
    pay_lines = [line for line in parsed.lines if line.txn_type == "payment"]
    refund_lines = [line for line in parsed.lines if line.txn_type == "refund"]
    payments = list(
        Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
        .filter(
            Q(bank_txn_id__in=[line.txn_id for line in pay_lines])
            | Q(order__order_no__in=[line.reference for line in pay_lines])
            | Q(paid_at__gte=start, paid_at__lt=end)
        )
        .select_related("order")
        .order_by("pk")
    )
    by_txn = {p.bank_txn_id: p for p in payments if p.bank_txn_id}
    by_order: dict[str, Payment] = {}
    for p in payments:
        by_order.setdefault(p.order.order_no, p)
    refunds = list(
        Refund.objects.filter(status=RefundStatus.SUCCEEDED)
        .filter(
            Q(refund_no__in=[line.reference for line in refund_lines])
            | Q(completed_at__gte=start, completed_at__lt=end)
        )
        .select_related("order")
        .order_by("pk")
    )
    by_refund_no = {r.refund_no: r for r in refunds}
    items: list[ReconciliationItem] = []
    used_payments: set[int] = set()
    used_refunds: set[int] = set()

    def item(kind: str, line: StatementLine | None, bank_txn_id: str = "", **kw: Any) -> None:
        items.append(
            ReconciliationItem(
                statement=statement, kind=kind, bank_txn_id=line.txn_id if line else bank_txn_id,
                bank_amount_fen=line.amount_fen if line else None, **kw,
            )
        )  # fmt: skip

    for line in pay_lines:
        payment = by_txn.get(line.txn_id) or by_order.get(line.reference)
        if payment is None or payment.pk in used_payments:
            item(ReconciliationKind.BANK_ONLY, line, txn_type="payment", reference=line.reference)
            continue
        used_payments.add(payment.pk)
        kind = (
            ReconciliationKind.MATCHED if payment.amount_fen == line.amount_fen else ReconciliationKind.AMOUNT_MISMATCH
        )
        item(
            kind, line, txn_type="payment", reference=payment.order.order_no, platform_amount_fen=payment.amount_fen,
            school_id=payment.order.school_id, order=payment.order,
        )  # fmt: skip
    for line in refund_lines:
        refund = by_refund_no.get(line.reference)
        if refund is None:
            item(ReconciliationKind.BANK_ONLY, line, txn_type="refund", reference=line.reference)
            continue
        used_refunds.add(refund.pk)
        kind = (
            ReconciliationKind.MATCHED if refund.amount_fen == line.amount_fen else ReconciliationKind.AMOUNT_MISMATCH
        )
        item(
            kind, line, txn_type="refund", reference=refund.refund_no, platform_amount_fen=refund.amount_fen,
            school_id=refund.order.school_id, order=refund.order, refund=refund,
        )  # fmt: skip
    for p in payments:
        if p.pk not in used_payments and p.paid_at is not None and start <= p.paid_at < end:
            item(
                ReconciliationKind.PLATFORM_ONLY, None, txn_type="payment", reference=p.order.order_no,
                bank_txn_id=p.bank_txn_id or "", platform_amount_fen=p.amount_fen, school_id=p.order.school_id,
                order=p.order,
            )  # fmt: skip
    for r in refunds:
        if r.pk not in used_refunds and r.completed_at is not None and start <= r.completed_at < end:
            item(
                ReconciliationKind.PLATFORM_ONLY, None, txn_type="refund", reference=r.refund_no,
                bank_txn_id=r.bank_refund_id, platform_amount_fen=r.amount_fen, school_id=r.order.school_id,
                order=r.order, refund=r,
            )  # fmt: skip
    return items


@transaction.atomic
def statement_import(
    *, actor: Actor, content: str | bytes, gateway: str = "simbank", statement_date: dt.date | None = None
) -> BankStatement:
    """Import one day's statement (system admin or the system actor of the nightly task) and reconcile it.

    The date is the one given, else the (single) date of its lines; a statement without lines needs a date.
    Refuses a malformed file (422, naming the line) and a second statement of the same gateway and date (409)."""
    if not actor.is_system_admin:
        raise PermissionDenied("只有系统管理员可以导入银行对账单")
    parsed = statement_parse(content)
    day = statement_date or parsed.statement_date
    if day is None:
        raise ValidationFailed({"statement_date": ["请指定对账日期"]}, "对账单没有明细，请指定对账日期")
    if parsed.statement_date is not None and parsed.statement_date != day:
        raise ValidationFailed(
            {"statement_date": [f"明细日期为 {parsed.statement_date}"]},
            f"对账单明细日期 {parsed.statement_date} 与对账日期 {day} 不符",
        )
    if BankStatement.objects.filter(gateway=gateway, statement_date=day).exists():
        raise Conflict("statement_exists", f"{day} 的对账单已导入，不能重复导入")
    text = _decode(content)
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                statement_date=day, gateway=gateway, content=text, line_count=len(parsed.lines),
                bank_total_fen=parsed.total_fen, imported_by_id=actor.user_id,
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("statement_exists", f"{day} 的对账单已导入，不能重复导入") from None
    items = ReconciliationItem.objects.bulk_create(_match(statement, parsed))
    counts = {kind.value: 0 for kind in ReconciliationKind}
    for it in items:
        counts[it.kind] += 1
    from afterschool.accounts.services import record_write

    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=statement,
        detail={"gateway": gateway, "date": day.isoformat(), "lines": len(parsed.lines), "results": counts},
    )  # fmt: skip
    return statement


def kind_counts(statement: BankStatement) -> dict[str, int]:
    from django.db.models import Count

    counts = {kind.value: 0 for kind in ReconciliationKind}
    for row in statement.items.values("kind").annotate(n=Count("id")):
        counts[row["kind"]] = row["n"]
    return counts


# --- the nightly task -------------------------------------------------------------------------------------------


def fetch_statement(day: dt.date) -> str:
    """The gateway's statement of `day` as CSV text (signed GET /api/statements/<date>)."""
    from afterschool.payments.gateway import get_gateway

    return get_gateway().statement(day=day.isoformat())


def reconcile_yesterday() -> int | None:
    """Fetch yesterday's statement (China Standard Time) from the gateway and reconcile it; a day already imported is
    skipped. Returns the statement id (None when skipped). Scheduled daily (beat, e.g. 02:30)."""
    from django.utils import timezone

    from afterschool.tenancy.actor import system_actor

    day = timezone.now().astimezone(CST).date() - dt.timedelta(days=1)
    if BankStatement.objects.filter(gateway="simbank", statement_date=day).exists():
        return None
    try:
        statement = statement_import(actor=system_actor(), content=fetch_statement(day), statement_date=day)
    except Conflict:
        return None
    return statement.pk


__all__ = ["HEADER", "ParsedStatement", "fetch_statement", "reconcile_yesterday", "statement_import"]


def kind_counts_keys() -> list[str]:
    return [kind.value for kind in ReconciliationKind]
