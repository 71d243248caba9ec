"""The statement the simulated bank really writes (simbank/server.py) imports and reconciles: the formats agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from afterschool.payments.models import Payment, Refund
from afterschool.payments.services import reconciliation as services
from afterschool.payments.tests.factories_reconciliation import paid_order, refund, section
from simbank import keys
from simbank.server import CST, Bank, Config, Store

pytestmark = pytest.mark.django_db


def test_given_the_simbank_statement_when_imported_then_payments_and_refunds_match(world: Any, tmp_path: Any) -> None:
    config = Config(
        bank_private_key=keys.DEV_BANK_PRIVATE_KEY, merchants={keys.DEV_MERCHANT_ID: keys.DEV_MERCHANT_PUBLIC_KEY},
        retry_schedule=[0], notice_mode="drop",
    )  # fmt: skip
    bank = Bank(config, Store(tmp_path / "bank.json"))
    sec = section(world.school_a)
    now = timezone.now()
    ours: list[tuple[Any, Payment]] = []
    for amount in (30000, 5000):
        order, payment = paid_order(sec, fee=amount, paid_at=now)
        status, created = bank.create_payment(
            keys.DEV_MERCHANT_ID,
            {"order_no": order.order_no, "amount_fen": amount, "notify_url": "http://x/n", "return_url": "http://x/r"},
            "http://bank",
        )
        assert status == 201
        paid = bank.confirm(created["payment_id"], "confirm") or {}
        Payment.objects.filter(pk=payment.pk).update(bank_txn_id=paid["txn_id"])
        ours.append((order, payment))
    order, payment = ours[0]
    payment.refresh_from_db()
    answer = bank.refund(
        keys.DEV_MERCHANT_ID,
        {"refund_no": "RSIM1", "order_no": order.order_no, "txn_id": payment.bank_txn_id, "amount_fen": 1000},
    )
    r = refund(order, payment, amount=1000, completed_at=now)
    Refund.objects.filter(pk=r.pk).update(refund_no="RSIM1", bank_refund_id=answer[1].get("refund_id") or "")
    day = dt.datetime.now(CST).date()

    statement = services.statement_import(
        actor=world.actor("system"), content=bank.statement(keys.DEV_MERCHANT_ID, day), statement_date=day
    )

    assert statement.line_count == 3 and statement.bank_total_fen == 34000
    assert sorted((i.txn_type, i.kind) for i in statement.items.all()) == [
        ("payment", "matched"), ("payment", "matched"), ("refund", "matched"),
    ]  # fmt: skip
