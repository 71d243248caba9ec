"""Reconciliation (对账): the bank's daily statement parsed strictly, matched against payments and refunds, listed
for the platform, the school and the bureau (scoped), exported with an audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.payments.models import BankStatement, ReconciliationItem
from afterschool.payments.selectors import reconciliation as selectors
from afterschool.payments.services import reconciliation as services
from afterschool.payments.tests.factories_reconciliation import DAY, at, csv_of, paid_order, refund, section

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_data(world: Any) -> Any:
    """On DAY: school_a — a matched payment, a payment the bank has for less, a payment missing from the bank,
    a matched refund, a refund missing from the bank; school_b — a matched payment. Plus a payment of the day
    before (must not be reported)."""
    sa, sb = section(world.school_a), section(world.school_b)
    matched, p1 = paid_order(sa, fee=30000)
    mismatch, p2 = paid_order(sa, fee=20000, materials=5000)
    missing, _p3 = paid_order(sa, fee=10000, paid_at=at(hour=23, minute=59))
    b_order, p4 = paid_order(sb, fee=40000)
    paid_order(sa, fee=10000, paid_at=at(DAY - dt.timedelta(days=1), hour=23, minute=59))
    r_ok = refund(matched, p1, amount=10000)
    r_missing = refund(b_order, p4, amount=5000)
    paid_order(sa, fee=12345, payment_status="pending")  # not succeeded: ignored
    lines = [
        ("payment", matched.order_no, p1.bank_txn_id, 30000, at(hour=10)),
        ("payment", mismatch.order_no, p2.bank_txn_id, 20000, at(hour=11)),
        ("payment", b_order.order_no, p4.bank_txn_id, 40000, at(hour=12)),
        ("payment", "O-UNKNOWN", "T-UNKNOWN", 999, at(hour=13)),
        ("refund", r_ok.refund_no, r_ok.bank_refund_id, 10000, at(hour=15)),
        ("refund", "R-UNKNOWN", "BR-UNKNOWN", 100, at(hour=16)),
    ]
    return {
        "matched": matched, "mismatch": mismatch, "missing": missing, "b_order": b_order, "r_ok": r_ok,
        "r_missing": r_missing, "csv": csv_of(lines),
    }  # fmt: skip


def _items(statement: BankStatement) -> dict[tuple[str, str], ReconciliationItem]:
    return {(i.txn_type, i.reference): i for i in statement.items.all()}


# --- matching --------------------------------------------------------------------------------------------------


def test_given_a_days_statement_when_imported_then_each_case_is_classified_with_its_school(
    world: Any, day_data: Any
) -> None:
    statement = services.statement_import(actor=world.actor("system"), content=day_data["csv"])
    assert statement.statement_date == DAY
    assert statement.line_count == 6
    items = _items(statement)
    m = items[("payment", day_data["matched"].order_no)]
    assert (m.kind, m.bank_amount_fen, m.platform_amount_fen, m.school_id) == (
        "matched",
        30000,
        30000,
        world.school_a.pk,
    )
    mm = items[("payment", day_data["mismatch"].order_no)]
    assert (mm.kind, mm.bank_amount_fen, mm.platform_amount_fen) == ("amount_mismatch", 20000, 25000)
    assert items[("payment", day_data["b_order"].order_no)].school_id == world.school_b.pk
    bank_only = items[("payment", "O-UNKNOWN")]
    assert (bank_only.kind, bank_only.school_id, bank_only.platform_amount_fen) == ("bank_only", None, None)
    short = items[("payment", day_data["missing"].order_no)]
    assert (short.kind, short.bank_amount_fen, short.platform_amount_fen) == ("platform_only", None, 10000)
    r = items[("refund", day_data["r_ok"].refund_no)]
    assert (r.kind, r.refund_id, r.school_id) == ("matched", day_data["r_ok"].pk, world.school_a.pk)
    assert items[("refund", "R-UNKNOWN")].kind == "bank_only"
    rm = items[("refund", day_data["r_missing"].refund_no)]
    assert (rm.kind, rm.school_id, rm.platform_amount_fen) == ("platform_only", world.school_b.pk, 5000)
    assert len(items) == 8  # the day before's payment and the pending payment are not reported
    assert services.kind_counts(statement) == {"matched": 3, "amount_mismatch": 1, "bank_only": 2, "platform_only": 2}
    audit = AuditEvent.objects.get(event="create", object_type__icontains="bankstatement")
    assert audit.detail["results"]["bank_only"] == 2


def test_given_the_bank_charged_more_than_the_platform_when_imported_then_amount_mismatch(world: Any) -> None:
    order, payment = paid_order(section(world.school_a), fee=10000)
    content = csv_of([("payment", order.order_no, payment.bank_txn_id, 10001, at())], style="TOTAL")
    item = services.statement_import(actor=world.actor("system"), content=content).items.get()
    assert (item.kind, item.bank_amount_fen, item.platform_amount_fen) == ("amount_mismatch", 10001, 10000)


def test_given_a_refund_of_a_different_amount_when_imported_then_amount_mismatch(world: Any) -> None:
    order, payment = paid_order(section(world.school_a), fee=10000, paid_at=at(DAY - dt.timedelta(days=3)))
    r = refund(order, payment, amount=4000)
    content = csv_of([("refund", r.refund_no, r.bank_refund_id, 3000, at(hour=15))])
    item = services.statement_import(actor=world.actor("system"), content=content).items.get()
    assert (item.kind, item.txn_type, item.bank_amount_fen, item.platform_amount_fen) == (
        "amount_mismatch",
        "refund",
        3000,
        4000,
    )


def test_given_a_bank_line_matching_by_order_no_only_when_imported_then_matched(world: Any) -> None:
    order, _payment = paid_order(section(world.school_a), fee=10000, txn="OURS-1")
    content = csv_of([("payment", order.order_no, "BANK-OTHER-ID", 10000, at())])
    item = services.statement_import(actor=world.actor("system"), content=content).items.get()
    assert (item.kind, item.order_id) == ("matched", order.pk)


def test_given_an_empty_day_when_imported_with_a_date_then_platform_payments_are_short(world: Any) -> None:
    order, _payment = paid_order(section(world.school_a), fee=10000)
    content = "type,reference,txn_id,amount_fen,time\nTOTAL,0,,0,\n"
    with pytest.raises(ValidationFailed) as exc:
        services.statement_import(actor=world.actor("system"), content=content)
    assert "statement_date" in exc.value.detail
    statement = services.statement_import(actor=world.actor("system"), content=content, statement_date=DAY)
    assert [(i.kind, i.reference) for i in statement.items.all()] == [("platform_only", order.order_no)]


def test_given_a_shanghai_midnight_boundary_when_imported_then_the_day_is_the_shanghai_date(world: Any) -> None:
    sec = section(world.school_a)
    late, _ = paid_order(sec, paid_at=at(DAY, hour=0, minute=0))
    paid_order(sec, paid_at=at(DAY + dt.timedelta(days=1), hour=0, minute=0))
    content = "type,reference,txn_id,amount_fen,time\nTOTAL,0,,0,\n"
    statement = services.statement_import(actor=world.actor("system"), content=content, statement_date=DAY)
    assert [i.reference for i in statement.items.all()] == [late.order_no]


# --- strict parsing, double import, who may import --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("kind,ref,txn,amount,time\nTOTAL,0,,0,\n", 1),
        ("type,reference,txn_id,amount_fen,time\npayment,O1,T1,abc,2026-09-10T10:00:00+08:00\nTOTAL,1,,0,\n", 2),
        ("type,reference,txn_id,amount_fen,time\npayment,O1,T1,100,yesterday\nTOTAL,1,,100,\n", 2),
        ("type,reference,txn_id,amount_fen,time\ncharge,O1,T1,100,2026-09-10T10:00:00+08:00\nTOTAL,1,,100,\n", 2),
        ("type,reference,txn_id,amount_fen,time\npayment,O1,T1,100\nTOTAL,1,,100,\n", 2),
        ("type,reference,txn_id,amount_fen,time\npayment,O1,T1,100,2026-09-10T10:00:00+08:00\nTOTAL,1,,99,\n", 3),
        ("type,reference,txn_id,amount_fen,time\npayment,O1,T1,100,2026-09-10T10:00:00+08:00\nTOTAL,2,,100,\n", 3),
        (
            "type,reference,txn_id,amount_fen,time\npayment,O1,T1,100,2026-09-10T10:00:00+08:00\n"
            "totals,payments=0;refunds=1,,100,\n",
            3,
        ),
        ("type,reference,txn_id,amount_fen,time\npayment,O1,T1,100,2026-09-10T10:00:00+08:00\n", 3),
        ("type,reference,txn_id,amount_fen,time\nTOTAL,0,,0,\npayment,O1,T1,100,2026-09-10T10:00:00+08:00\n", 3),
        (
            "type,reference,txn_id,amount_fen,time\npayment,O1,T1,100,2026-09-10T10:00:00+08:00\n"
            "payment,O1,T2,100,2026-09-10T11:00:00+08:00\nTOTAL,2,,200,\n",
            3,
        ),
    ],
    ids=[
        "header",
        "amount",
        "time",
        "type",
        "columns",
        "total-sum",
        "total-count",
        "simbank-count",
        "no-totals",
        "after-totals",
        "duplicate",
    ],
)
def test_given_a_malformed_statement_when_imported_then_422_naming_the_line(
    world: Any, content: str, line: int
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.statement_import(actor=world.actor("system"), content=content)
    assert f"第 {line} 行" in exc.value.message
    assert not BankStatement.objects.exists()


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00bad", "type,reference\x00"], ids=["empty", "binary", "nul"])
def test_given_unreadable_content_when_imported_then_422(world: Any, content: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.statement_import(actor=world.actor("system"), content=content)


def test_given_lines_of_two_days_when_imported_then_422(world: Any) -> None:
    content = csv_of([("payment", "A", "T1", 1, at(DAY)), ("payment", "B", "T2", 1, at(DAY + dt.timedelta(days=1)))])
    with pytest.raises(ValidationFailed):
        services.statement_import(actor=world.actor("system"), content=content)


def test_given_an_imported_day_when_imported_again_then_409(world: Any, day_data: Any) -> None:
    services.statement_import(actor=world.actor("system"), content=day_data["csv"])
    with pytest.raises(Conflict):
        services.statement_import(actor=world.actor("system"), content=day_data["csv"].encode())
    assert BankStatement.objects.count() == 1


@pytest.mark.parametrize("key", ["bureau_a", "school_a", "org_a", "parent"])
def test_given_a_non_system_actor_when_importing_then_refused(world: Any, day_data: Any, key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.statement_import(actor=world.actor(key), content=day_data["csv"])


def test_given_the_nightly_task_when_run_then_it_imports_yesterday_once(world: Any, monkeypatch: Any) -> None:
    from django.utils import timezone

    asked: list[dt.date] = []

    def fake_fetch(day: dt.date) -> str:
        asked.append(day)
        return "type,reference,txn_id,amount_fen,time\ntotals,payments=0;refunds=0,,0,\n"

    monkeypatch.setattr(services, "fetch_statement", fake_fetch)
    monkeypatch.setattr(timezone, "now", lambda: at(DAY, hour=2, minute=30))
    first = services.reconcile_yesterday()
    assert first is not None
    assert BankStatement.objects.get(pk=first).statement_date == DAY - dt.timedelta(days=1)
    assert services.reconcile_yesterday() is None
    assert asked == [DAY - dt.timedelta(days=1)]


# --- reads: scoping -----------------------------------------------------------------------------------------------


def test_given_items_when_listed_then_each_actor_sees_its_scope(world: Any, day_data: Any) -> None:
    statement = services.statement_import(actor=world.actor("system"), content=day_data["csv"])
    assert selectors.item_list(actor=world.actor("system")).count() == 8
    school_a = selectors.item_list(actor=world.actor("school_a"))
    assert {i.school_id for i in school_a} == {world.school_a.pk} and school_a.count() == 4
    assert selectors.item_list(actor=world.actor("bureau_a")).count() == 4
    assert {i.school_id for i in selectors.item_list(actor=world.actor("bureau_b"))} == {world.school_b.pk}
    assert selectors.item_list(actor=world.actor("school_a2")).count() == 0
    assert selectors.item_list(actor=world.actor("teacher_a")).count() == 0
    assert selectors.item_list(actor=world.actor("org_a")).count() == 0
    assert selectors.statement_list(actor=world.actor("bureau_a")).count() == 0
    filtered = selectors.item_list(actor=world.actor("bureau_a"), filters={"kind": "platform_only"})
    assert [i.reference for i in filtered] == [day_data["missing"].order_no]
    assert (
        selectors.item_list(actor=world.actor("system"), filters={"statement": statement.pk, "q": "UNKNOWN"}).count()
        == 2
    )


# --- pages --------------------------------------------------------------------------------------------------------


def test_given_the_system_admin_when_uploading_a_statement_page_then_imported_and_shown(
    world: Any, login: Any, day_data: Any
) -> None:
    client = login(world.users["system"])
    upload = SimpleUploadedFile("statement.csv", day_data["csv"].encode(), content_type="text/csv")
    response = client.post(reverse("payments:statement_list"), {"file": upload})
    statement = BankStatement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "payments:statement_detail", args=[statement.pk]
    )
    page = client.get(reverse("payments:statement_detail", args=[statement.pk]))
    assert page.status_code == 200 and "O-UNKNOWN" in page.content.decode() and "金额不符" in page.content.decode()
    listing = client.get(reverse("payments:statement_list"))
    assert DAY.isoformat() in listing.content.decode()
    again = client.post(
        reverse("payments:statement_list"), {"file": SimpleUploadedFile("s.csv", day_data["csv"].encode())}
    )
    assert again.status_code == 422 and "已导入" in again.content.decode()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("s.xlsx", b"type,reference", "CSV"),
        ("s.csv", b"type,reference,txn_id,amount_fen,time\nTOTAL,1,,0,\n", "第 2 行"),
        ("s.csv", b"", "为空"),
    ],
)
def test_given_a_bad_upload_when_posted_then_the_form_shows_a_chinese_error(
    world: Any, login: Any, name: str, data: bytes, message: str
) -> None:
    client = login(world.users["system"])
    response = client.post(reverse("payments:statement_list"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not BankStatement.objects.exists()


@pytest.mark.parametrize("key", ["bureau_a", "school_a", "parent"])
def test_given_a_non_system_user_when_opening_statements_then_403_or_404(
    world: Any, login: Any, day_data: Any, key: str
) -> None:
    statement = services.statement_import(actor=world.actor("system"), content=day_data["csv"])
    client = login(world.users[key])
    assert client.get(reverse("payments:statement_list")).status_code == 403
    assert client.get(reverse("payments:statement_detail", args=[statement.pk])).status_code == 404


def test_given_items_when_a_school_opens_the_reconciliation_page_then_only_its_items_and_export_audited(
    world: Any, login: Any, day_data: Any
) -> None:
    services.statement_import(actor=world.actor("system"), content=day_data["csv"])
    client = login(world.users["school_a"])
    body = client.get(reverse("payments:reconciliation")).content.decode()
    assert day_data["matched"].order_no in body and day_data["b_order"].order_no not in body
    response = client.get(reverse("payments:reconciliation"), {"kind": "platform_only", "export": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    audit = AuditEvent.objects.get(event="export")
    assert audit.detail["what"] == "reconciliation_items" and audit.detail["rows"] == 1


def test_given_items_when_the_bureau_filters_by_school_then_its_region_only(
    world: Any, login: Any, day_data: Any
) -> None:
    services.statement_import(actor=world.actor("system"), content=day_data["csv"])
    client = login(world.users["bureau_b"])
    body = client.get(reverse("payments:reconciliation")).content.decode()
    assert day_data["b_order"].order_no in body and day_data["matched"].order_no not in body
    body = client.get(reverse("payments:reconciliation"), {"school": world.school_a.pk}).content.decode()
    assert day_data["matched"].order_no not in body
    assert login(world.users["parent"]).get(reverse("payments:reconciliation")).status_code == 403


# --- API ------------------------------------------------------------------------------------------------------


def test_given_the_api_when_importing_and_reading_then_statements_and_items(
    world: Any, login: Any, day_data: Any
) -> None:
    client = login(world.users["system"])
    upload = SimpleUploadedFile("s.csv", day_data["csv"].encode(), content_type="text/csv")
    response = client.post("/api/v1/payments/statements", {"file": upload})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["counts"] == {"matched": 3, "bank_only": 2, "platform_only": 2, "amount_mismatch": 1}
    assert client.get(f"/api/v1/payments/statements/{data['id']}").json()["line_count"] == 6
    assert client.get("/api/v1/payments/statements").json()["count"] == 1
    again = client.post("/api/v1/payments/statements", {"file": SimpleUploadedFile("s.csv", day_data["csv"].encode())})
    assert again.status_code == 409
    bad = client.post("/api/v1/payments/statements", {"file": SimpleUploadedFile("s.csv", b"x,y\n")})
    assert bad.status_code == 422 and "第 1 行" in bad.json()["message"]
    wrong = client.post("/api/v1/payments/statements", {"file": SimpleUploadedFile("s.pdf", b"%PDF")})
    assert wrong.status_code == 422
    items = login(world.users["school_a"]).get("/api/v1/payments/reconciliation/items", {"kind": "bank_only"})
    assert items.status_code == 200 and items.json()["count"] == 0
    items = login(world.users["bureau_a"]).get("/api/v1/payments/reconciliation/items")
    assert items.json()["count"] == 4


@pytest.mark.parametrize("key", ["bureau_a", "school_a"])
def test_given_a_non_system_user_when_using_statement_api_then_refused(
    world: Any, login: Any, day_data: Any, key: str
) -> None:
    statement = services.statement_import(actor=world.actor("system"), content=day_data["csv"])
    client = login(world.users[key])
    assert client.get("/api/v1/payments/statements").status_code == 403
    assert client.get(f"/api/v1/payments/statements/{statement.pk}").status_code == 403
    upload = SimpleUploadedFile("s.csv", day_data["csv"].encode())
    assert client.post("/api/v1/payments/statements", {"file": upload}).status_code == 403
    assert login(world.users["parent"]).get("/api/v1/payments/reconciliation/items").status_code == 403
