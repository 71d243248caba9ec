"""The money ledger (账务流水): where money moves, one signed entry per account, posted by the caller in the same
transaction as the status change that moves it:

- a payment credited (`services.pay._credit`, whatever its outcome once the Payment is SUCCEEDED — a payment after
  the order closed or a second payment is still money received): +amount to ``held``;
- a refund SUCCEEDED (`services.refunds.refund_notice_applied`, for the bank's direct answer and its later notice
  alike): −amount from ``held``;
- a settlement bill PAID (`services.settlement.bill_pay`): −amount from ``held``, +amount to ``settled``.

Each posting is idempotent: the unique (kind, reference, account) key makes a repeated call find the entry already
there (the same amount, else the books disagree: Conflict). A zero amount moves nothing and posts nothing.

`balances` reads the two sides independently: paid and refunded from the Payment and Refund rows, held and settled
from the ledger — so that ``paid − refunded == held + settled`` is a real check, to the 分.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum

from afterschool.core.errors import Conflict
from afterschool.tenancy.models import School

from ..choices import PaymentStatus, RefundStatus
from ..models import LedgerAccount, LedgerEntry, LedgerKind, Order, Payment, Refund, SettlementBill


def _post(
    *, kind: str, reference: str, account: str, amount_fen: int, school_id: int, organization_id: int | None,
    order_id: int | None = None, bill_id: int | None = None,
) -> LedgerEntry:  # fmt: skip
    if not reference:
        raise Conflict("ledger_reference", "账务流水缺少单号，无法记账")
    entry, created = LedgerEntry.objects.get_or_create(
        kind=kind, reference=reference, account=account,
        defaults={"amount_fen": amount_fen, "school_id": school_id, "organization_id": organization_id,
                  "order_id": order_id, "bill_id": bill_id},
    )  # fmt: skip
    if not created and entry.amount_fen != amount_fen:
        raise Conflict(
            "ledger_mismatch", f"账务流水 {kind} {reference} 已记 {entry.amount_fen} 分，与本次 {amount_fen} 分不符"
        )
    return entry


def _order_parties(order_id: int) -> tuple[int, int | None]:
    school_id, organization_id = Order.objects.values_list("school_id", "section__course__owner_organization_id").get(
        pk=order_id
    )
    return int(school_id), organization_id


def post_payment(payment: Payment) -> LedgerEntry | None:
    """A SUCCEEDED payment: its amount is now held (once per bank transaction)."""
    if payment.status != PaymentStatus.SUCCEEDED:
        raise Conflict("ledger_not_succeeded", "只有支付成功的款项才能记账")
    if payment.amount_fen == 0:
        return None
    school_id, organization_id = _order_parties(payment.order_id)
    return _post(
        kind=LedgerKind.PAYMENT, reference=payment.bank_txn_id or "", account=LedgerAccount.HELD,
        amount_fen=payment.amount_fen, school_id=school_id, organization_id=organization_id, order_id=payment.order_id,
    )  # fmt: skip


def post_refund(refund: Refund) -> LedgerEntry | None:
    """A SUCCEEDED refund: its amount leaves what is held (once per refund_no)."""
    if refund.status != RefundStatus.SUCCEEDED:
        raise Conflict("ledger_not_succeeded", "只有退款成功的款项才能记账")
    if refund.amount_fen == 0:
        return None
    school_id, organization_id = _order_parties(refund.order_id)
    return _post(
        kind=LedgerKind.REFUND, reference=refund.refund_no, account=LedgerAccount.HELD, amount_fen=-refund.amount_fen,
        school_id=school_id, organization_id=organization_id, order_id=refund.order_id,
    )  # fmt: skip


@transaction.atomic
def post_settlement(bill: SettlementBill) -> list[LedgerEntry]:
    """A PAID bill: its amount moves from held to settled (once per bill_no)."""
    if bill.amount_fen == 0:
        return []
    entries = []
    for account, sign in ((LedgerAccount.HELD, -1), (LedgerAccount.SETTLED, 1)):
        entry = _post(
            kind=LedgerKind.SETTLEMENT, reference=bill.bill_no, account=account, amount_fen=sign * bill.amount_fen,
            school_id=bill.school_id, organization_id=bill.organization_id, bill_id=bill.pk,
        )  # fmt: skip
        entries.append(entry)
    return entries


def balances(*, school: School | None = None) -> dict[str, int]:
    """paid and refunded from the payments and refunds that succeeded; held and settled from the ledger."""
    payments = Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
    refunds = Refund.objects.filter(status=RefundStatus.SUCCEEDED)
    entries = LedgerEntry.objects.all()
    if school is not None:
        payments = payments.filter(order__school=school)
        refunds = refunds.filter(order__school=school)
        entries = entries.filter(school=school)
    by_account = {
        row["account"]: int(row["total"] or 0)
        for row in entries.order_by().values("account").annotate(total=Sum("amount_fen"))
    }
    return {
        "paid": int(payments.aggregate(n=Sum("amount_fen"))["n"] or 0),
        "refunded": int(refunds.aggregate(n=Sum("amount_fen"))["n"] or 0),
        "held": by_account.get(LedgerAccount.HELD, 0),
        "settled": by_account.get(LedgerAccount.SETTLED, 0),
    }
