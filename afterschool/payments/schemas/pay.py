from __future__ import annotations

import datetime as dt

from ninja import Schema


class PayStartOut(Schema):
    pay_url: str


class PaymentOut(Schema):
    id: int
    gateway: str
    bank_payment_id: str
    bank_txn_id: str | None
    amount_fen: int
    status: str
    status_label: str
    paid_at: dt.datetime | None
    created_at: dt.datetime
