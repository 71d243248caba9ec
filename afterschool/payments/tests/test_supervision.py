"""Fee supervision (§5.1.3, §5.2.4.2): the bureau's school-level and student-level payments (masked), a school's
selection statistics and order details; aggregates on a hand-built data set, scoping, exports audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import NotFound
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.payments.models import Order, WaitlistEntry
from afterschool.payments.selectors import supervision as selectors
from afterschool.payments.tests.factories_reconciliation import DAY, at, class_of, paid_order, refund, section
from afterschool.schools.tests.factories import StudentFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(world: Any) -> Any:
    """school_a: section s1 (2026) — 3 paid orders 300+300+(200+50 materials), one refunded 100 then another fully;
    one pending order; one waitlisted student. Section s2 (academic year 2025) — one paid order 100 on the day
    before. school_a2: one paid order 500. school_b: one paid order 700."""
    s1 = section(world.school_a, max_students=10, name="篮球一班")
    term_2025 = TermFactory(school=world.school_a, academic_year=2025, starts_on=dt.date(2025, 9, 1),
                            ends_on=dt.date(2026, 1, 20))  # fmt: skip
    s2 = section(world.school_a, term=term_2025, name="书法班")
    o1, p1 = paid_order(s1, fee=30000, student=StudentFactory(school_class=class_of(world.school_a), name="张三丰"))
    o2, p2 = paid_order(s1, fee=30000)
    o3, _p3 = paid_order(s1, fee=20000, materials=5000)
    refund(o1, p1, amount=10000, completed_at=at(hour=14))
    refund(o2, p2, amount=30000, completed_at=at(hour=16))
    pending_student = StudentFactory(school_class=class_of(world.school_a))
    Order.objects.create(
        order_no="OPENDING1", school=world.school_a, section=s1, student=pending_student,
        enrollment=EnrollmentFactory(section=s1, student=pending_student, status="pending"), fee_fen=30000,
        amount_fen=30000, deadline=at(hour=23),
    )  # fmt: skip
    WaitlistEntry.objects.create(
        school=world.school_a, section=s1, student=StudentFactory(school_class=class_of(world.school_a))
    )
    old, _ = paid_order(s2, fee=10000, paid_at=at(DAY - dt.timedelta(days=1)))
    a2, _ = paid_order(section(world.school_a2), fee=50000)
    b, _ = paid_order(section(world.school_b), fee=70000)
    return {"s1": s1, "s2": s2, "o1": o1, "o2": o2, "o3": o3, "old": old, "a2": a2, "b": b}


def _by_school(rows: Any) -> dict[int, dict[str, Any]]:
    return {r["school_id"]: r for r in rows}


# --- bureau: school level -----------------------------------------------------------------------------------------


def test_given_payments_when_the_bureau_lists_schools_then_totals_per_school_of_its_region(
    world: Any, fees: Any
) -> None:
    rows = _by_school(selectors.school_totals(actor=world.actor("bureau_a")))
    assert set(rows) == {world.school_a.pk, world.school_a2.pk}
    a = rows[world.school_a.pk]
    assert (a["orders"], a["amount_fen"], a["refunded_fen"], a["net_fen"]) == (4, 95000, 40000, 55000)
    assert (rows[world.school_a2.pk]["orders"], rows[world.school_a2.pk]["net_fen"]) == (1, 50000)
    b_rows = _by_school(selectors.school_totals(actor=world.actor("bureau_b")))
    assert set(b_rows) == {world.school_b.pk}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"academic_year": 2026}, (3, 85000, 40000)),
        ({"academic_year": 2025}, (1, 10000, 0)),
        ({"paid_from": DAY, "paid_to": DAY}, (3, 85000, 40000)),
        ({"paid_to": DAY - dt.timedelta(days=1)}, (1, 10000, 0)),
        ({"paid_from": DAY + dt.timedelta(days=1)}, None),
    ],
)
def test_given_filters_when_the_bureau_lists_schools_then_year_and_payment_time_apply(
    world: Any, fees: Any, filters: dict[str, Any], expected: Any
) -> None:
    rows = _by_school(
        selectors.school_totals(actor=world.actor("bureau_a"), filters={"school": world.school_a.pk, **filters})
    )
    if expected is None:
        assert rows == {}
    else:
        a = rows[world.school_a.pk]
        assert (a["orders"], a["amount_fen"], a["refunded_fen"]) == expected


def test_given_many_schools_when_listing_totals_then_one_query(world: Any, fees: Any) -> None:
    for _ in range(3):
        paid_order(section(world.school_a2), fee=100)
    actor = world.actor("bureau_a")
    list(selectors.school_totals(actor=actor))  # warms the region subtree cache
    with CaptureQueriesContext(connection) as ctx:
        list(selectors.school_totals(actor=actor))
    assert len(ctx.captured_queries) == 1


@pytest.mark.parametrize("key", ["school_a", "teacher_a", "org_a", "parent"])
def test_given_a_non_bureau_actor_when_listing_school_totals_then_nothing(world: Any, fees: Any, key: str) -> None:
    assert list(selectors.school_totals(actor=world.actor(key))) == []


# --- bureau: student level --------------------------------------------------------------------------------------


def test_given_a_school_of_the_region_when_drilling_down_then_students_with_refund_time(world: Any, fees: Any) -> None:
    orders = {o.pk: o for o in selectors.student_level(actor=world.actor("bureau_a"), school_id=world.school_a.pk)}
    assert set(orders) == {fees["o1"].pk, fees["o2"].pk, fees["o3"].pk, fees["old"].pk}
    assert orders[fees["o1"].pk].refunded_at == at(hour=14)
    assert orders[fees["o3"].pk].refunded_at is None
    assert orders[fees["o3"].pk].materials_included is True


def test_given_another_districts_school_when_the_bureau_drills_down_then_404(world: Any, fees: Any) -> None:
    with pytest.raises(NotFound):
        selectors.student_level(actor=world.actor("bureau_b"), school_id=world.school_a.pk)
    with pytest.raises(NotFound):
        selectors.student_level(actor=world.actor("school_a"), school_id=world.school_a.pk)


# --- school: statistics and orders --------------------------------------------------------------------------------


def test_given_a_school_when_reading_section_stats_then_seats_taken_paid_pending_waitlisted_revenue_refunds(
    world: Any, fees: Any
) -> None:
    stats = {s.pk: s for s in selectors.section_stats(actor=world.actor("school_a"))}
    assert set(stats) == {fees["s1"].pk, fees["s2"].pk}
    s1 = stats[fees["s1"].pk]
    assert (s1.max_students, s1.taken, s1.paid, s1.pending, s1.waitlisted) == (10, 4, 3, 1, 1)
    assert (s1.revenue_fen, s1.refunds_fen) == (85000, 40000)
    s2 = stats[fees["s2"].pk]
    assert (s2.paid, s2.pending, s2.waitlisted, s2.revenue_fen, s2.refunds_fen) == (1, 0, 0, 10000, 0)
    assert [s.pk for s in selectors.section_stats(actor=world.actor("school_a"), filters={"academic_year": 2025})] == [
        fees["s2"].pk
    ]
    assert list(selectors.section_stats(actor=world.actor("bureau_a"))) == []


def test_given_many_sections_when_reading_stats_then_one_query(world: Any, fees: Any) -> None:
    for _ in range(4):
        paid_order(section(world.school_a), fee=100)
    actor = world.actor("school_a")
    with CaptureQueriesContext(connection) as ctx:
        rows = list(selectors.section_stats(actor=actor))
        [str(r.term) for r in rows]
    assert len(rows) == 6 and len(ctx.captured_queries) == 1


def test_given_a_school_when_reading_order_details_then_its_paid_orders_with_filters(world: Any, fees: Any) -> None:
    actor = world.actor("school_a")
    orders = list(selectors.school_orders(actor=actor))
    assert {o.pk for o in orders} == {fees["o1"].pk, fees["o2"].pk, fees["o3"].pk, fees["old"].pk}
    refunded = selectors.school_orders(actor=actor, filters={"refunded": "yes"})
    assert {o.pk for o in refunded} == {fees["o1"].pk, fees["o2"].pk}
    assert [o.pk for o in selectors.school_orders(actor=actor, filters={"q": "张三"})] == [fees["o1"].pk]
    assert selectors.school_orders(actor=world.actor("school_a2")).get().pk == fees["a2"].pk
    with CaptureQueriesContext(connection) as ctx:
        rows = list(selectors.school_orders(actor=actor))
        [(o.student.name, o.section.term.academic_year, o.refunded_at) for o in rows]  # type: ignore[attr-defined]
    assert len(ctx.captured_queries) == 1


# --- pages ----------------------------------------------------------------------------------------------------------


def test_given_the_bureau_when_opening_supervision_pages_then_totals_and_masked_students(
    world: Any, login: Any, fees: Any
) -> None:
    client = login(world.users["bureau_a"])
    body = client.get(reverse("payments:supervision")).content.decode()
    assert world.school_a.name in body and world.school_b.name not in body and "550.00" in body
    page = client.get(reverse("payments:supervision_school", args=[world.school_a.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "张**" in body and "张三丰" not in body
    assert client.get(reverse("payments:supervision_school", args=[world.school_b.pk])).status_code == 404
    assert (
        client.get(reverse("payments:supervision"), {"paid_from": "2026-09-11", "paid_to": "2026-09-01"}).status_code
        == 200
    )


@pytest.mark.parametrize("key", ["school_a", "parent", "org_a"])
def test_given_a_non_bureau_user_when_opening_supervision_then_403(world: Any, login: Any, key: str) -> None:
    assert login(world.users[key]).get(reverse("payments:supervision")).status_code == 403


def test_given_the_school_when_opening_school_fees_then_stats_orders_and_bill_link(
    world: Any, login: Any, fees: Any
) -> None:
    client = login(world.users["school_a"])
    body = client.get(reverse("payments:school_fees")).content.decode()
    assert "篮球一班" in body and "850.00" in body
    body = client.get(reverse("payments:school_fees"), {"tab": "orders"}).content.decode()
    assert fees["o1"].order_no in body and "张三丰" in body and fees["b"].order_no not in body
    assert login(world.users["bureau_a"]).get(reverse("payments:school_fees")).status_code == 403


@pytest.mark.parametrize(
    ("key", "url", "params", "what", "rows"),
    [
        ("bureau_a", "payments:supervision", {}, "fee_supervision_schools", 2),
        ("bureau_a", "supervision_school", {}, "fee_supervision_students", 4),
        ("school_a", "payments:school_fees", {}, "school_fee_sections", 2),
        ("school_a", "payments:school_fees", {"tab": "orders", "refunded": "yes"}, "school_fee_orders", 2),
    ],
)
def test_given_a_list_when_exported_then_xlsx_and_audited(
    world: Any, login: Any, fees: Any, key: str, url: str, params: dict[str, str], what: str, rows: int
) -> None:
    target = (
        reverse("payments:supervision_school", args=[world.school_a.pk])
        if url == "supervision_school"
        else reverse(url)
    )
    response = login(world.users[key]).get(target, {**params, "export": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    audit = AuditEvent.objects.get(event="export")
    assert audit.detail["what"] == what and audit.detail["rows"] == rows


def test_given_a_masked_export_when_downloaded_then_names_are_masked(world: Any, login: Any, fees: Any) -> None:
    import io

    from openpyxl import load_workbook

    response = login(world.users["bureau_a"]).get(
        reverse("payments:supervision_school", args=[world.school_a.pk]), {"export": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "张**" in names and "张三丰" not in names


# --- API ----------------------------------------------------------------------------------------------------------


def test_given_the_api_when_the_bureau_reads_then_school_and_student_levels(world: Any, login: Any, fees: Any) -> None:
    client = login(world.users["bureau_a"])
    data = client.get("/api/v1/payments/supervision/schools", {"academic_year": 2026}).json()
    rows = {r["school_id"]: r for r in data["items"]}
    assert rows[world.school_a.pk]["net_fen"] == 45000
    students = client.get(f"/api/v1/payments/supervision/schools/{world.school_a.pk}/payments").json()
    assert students["count"] == 4 and "张三丰" not in str(students)
    assert client.get(f"/api/v1/payments/supervision/schools/{world.school_b.pk}/payments").status_code == 404
    assert client.get(f"/api/v1/payments/supervision/schools/{2**62}/payments").status_code == 404
    assert client.get("/api/v1/payments/supervision/schools", {"academic_year": 1}).status_code == 422
    assert client.get("/api/v1/payments/school-fees/sections").status_code == 403
    assert login(world.users["school_a"]).get("/api/v1/payments/supervision/schools").status_code == 403


def test_given_the_api_when_the_school_reads_then_stats_and_orders(world: Any, login: Any, fees: Any) -> None:
    client = login(world.users["school_a"])
    stats = {s["section_id"]: s for s in client.get("/api/v1/payments/school-fees/sections").json()["items"]}
    s1 = stats[fees["s1"].pk]
    assert (s1["paid"], s1["pending"], s1["waitlisted"], s1["net_fen"]) == (3, 1, 1, 45000)
    orders = client.get("/api/v1/payments/school-fees/orders", {"refunded": "yes"}).json()
    assert {o["order_no"] for o in orders["items"]} == {fees["o1"].order_no, fees["o2"].order_no}
    assert client.get("/api/v1/payments/school-fees/orders", {"refunded": "maybe"}).status_code == 422
    other = login(world.users["school_b"]).get("/api/v1/payments/school-fees/orders").json()
    assert {o["order_no"] for o in other["items"]} == {fees["b"].order_no}
