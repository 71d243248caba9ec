"""schemas: reconciliation — bank statements and reconciliation items."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from afterschool.core.api import Text
from afterschool.payments.choices import ReconciliationKind


class StatementFilters(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class StatementImportIn(Schema):
    statement_date: dt.date | None = Field(None, description="对账日期；对账单有明细时可省略（按明细日期）")


class StatementOut(Schema):
    id: int
    statement_date: dt.date
    gateway: str
    line_count: int
    bank_total_fen: int
    imported_by: str | None
    created_at: dt.datetime
    counts: dict[str, int]


class StatementDetailOut(StatementOut):
    content: str


class ItemFilters(Schema):
    q: Text | None = Field(None, max_length=64)
    statement: int | None = Field(None, ge=1, le=2**62)
    school: int | None = Field(None, ge=1, le=2**62)
    kind: ReconciliationKind | None = None
    txn_type: str | None = Field(None, pattern="^(payment|refund)$")
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class ItemOut(Schema):
    id: int
    statement_id: int
    statement_date: dt.date
    kind: str
    kind_label: str
    txn_type: str
    reference: str
    bank_txn_id: str
    bank_amount_fen: int | None
    platform_amount_fen: int | None
    school_id: int | None
    school_name: str | None
    order_id: int | None
    refund_id: int | None
