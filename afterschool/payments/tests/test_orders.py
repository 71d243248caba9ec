"""Course selection and orders (§5.4.1): what a child may take, the order that holds a seat, refusals, expiry,
access through services, API and pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.services import active_count
from afterschool.notifications.models import Notification
from afterschool.payments.models import FeeSettings, Order
from afterschool.payments.selectors import orders as selectors
from afterschool.payments.services import orders as services
from afterschool.payments.services import waitlist as waitlist_services
from afterschool.payments.tests.factories_orders import child_of, open_setup, open_window
from afterschool.scheduling.models import SectionEvent
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory, SectionTeacherFactory
from afterschool.schools.tests.factories import GradeFactory, SchoolClassFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fam(world: Any) -> Any:
    """An open walking section of school_a (¥300, Tuesday 15:40) and the world parent's child in its grade."""
    setup = open_setup(world.school_a)
    child = child_of(world.users["parent"], setup.classes[0])
    return setup, child


def _order(world: Any, setup: Any, child: Any, key: str = "parent", section: Any = None, **kw: Any) -> Order:
    return services.order_create(actor=world.actor(key), section=section or setup.section, student=child, **kw)


# --- selectable sections -----------------------------------------------------------------------------------------


def test_given_open_sections_when_listing_selectable_then_only_eligible_with_seats_fee_schedule(
    world: Any, fam: Any
) -> None:
    setup, child = fam
    SectionTeacherFactory(section=setup.section)
    closed = SectionFactory(school=world.school_a, status="open", term=setup.section.term)
    closed.grades.set([setup.grade])
    open_window(closed, opens=dt.timedelta(days=-3), closes=dt.timedelta(days=-1))
    draft = SectionFactory(school=world.school_a, status="draft", term=setup.section.term)
    draft.grades.set([setup.grade])
    other_grade = SectionFactory(school=world.school_a, status="open", term=setup.section.term)
    other_grade.grades.set([GradeFactory(school=world.school_a, level=5, name="五年级")])
    other_class = SectionFactory(school=world.school_a, status="open", mode="class", term=setup.section.term)
    other_class.grades.set([setup.grade])
    other_class.classes.set([setup.classes[1]])
    own_class = SectionFactory(school=world.school_a, status="open", mode="class", fee_fen=0, term=setup.section.term)
    own_class.grades.set([setup.grade])
    own_class.classes.set([setup.classes[0]])  # no window: open while its status is open
    other_school = SectionFactory(school=world.school_a2, status="open")
    options = selectors.selectable_sections(actor=world.actor("parent"), student=child)
    ids = {o.section.pk for o in options}
    assert ids == {setup.section.pk, own_class.pk}
    assert not ids & {closed.pk, draft.pk, other_grade.pk, other_class.pk, other_school.pk}
    main = next(o for o in options if o.section.pk == setup.section.pk)
    assert main.seats_left == 30 and main.fee_yuan == "300.00" and main.can_order
    assert main.schedule == ["每周二 15:40–16:40"] and len(main.teachers) == 1


def test_given_child_placed_and_clashing_when_listing_then_flags_and_names_clash(world: Any, fam: Any) -> None:
    setup, child = fam
    LessonFactory(section=setup.section, date=dt.date(2026, 9, 8))
    other = SectionFactory(school=world.school_a, status="open", term=setup.section.term, name="围棋B班")
    other.grades.set([setup.grade])
    LessonFactory(section=other, date=dt.date(2026, 9, 8), starts_at=dt.time(16, 0), ends_at=dt.time(17, 0))
    _order(world, setup, child)
    options = {o.section.pk: o for o in selectors.selectable_sections(actor=world.actor("parent"), student=child)}
    assert options[setup.section.pk].placed and options[setup.section.pk].seats_left == 29
    clash = options[other.pk].clashes[0]
    assert setup.section.name in clash and "2026-09-08" in clash and not options[other.pk].can_order


def test_given_many_sections_when_listing_then_query_count_does_not_grow(world: Any, fam: Any) -> None:
    setup, child = fam
    actor = world.actor("parent")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.selectable_sections(actor=actor, student=child)
        return len(ctx.captured_queries)

    _order(world, setup, child)
    before = count()
    for _ in range(5):
        s = SectionFactory(school=world.school_a, status="open", term=setup.section.term)
        s.grades.set([setup.grade])
        SectionTeacherFactory(section=s)
        LessonFactory(section=s, date=dt.date(2026, 9, 9))
    assert count() == before


def test_given_another_familys_child_when_listing_then_404_everywhere(world: Any, login: Any) -> None:
    setup = open_setup(world.school_a)
    stranger = setup.students[0]
    with pytest.raises(NotFound):
        selectors.child_get(actor=world.actor("parent"), student_id=stranger.pk)
    with pytest.raises(NotFound):
        selectors.selectable_sections(actor=world.actor("parent"), student=stranger)
    with pytest.raises(NotFound):
        _order(world, setup, stranger)
    client = login(world.users["parent"])
    assert client.get(f"/api/v1/payments/selectable?student_id={stranger.pk}").status_code == 404
    r = client.post("/api/v1/payments/orders", {"section_id": setup.section.pk, "student_id": stranger.pk},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    assert client.get(reverse("payments:selection") + f"?student={stranger.pk}").status_code == 404
    url = reverse("payments:order_confirm", args=[stranger.pk, setup.section.pk])
    assert client.post(url).status_code == 404
    assert not Order.objects.exists()


# --- order_create -------------------------------------------------------------------------------------------------


def test_given_eligible_child_when_ordering_then_seat_held_pending_with_15_min_deadline(world: Any, fam: Any) -> None:
    setup, child = fam
    before = timezone.now()
    order = _order(world, setup, child)
    assert order.status == "pending" and order.amount_fen == 30000 and order.materials_fen == 0
    assert len(order.order_no) == 22 and order.payer == world.users["parent"]
    assert dt.timedelta(minutes=14) < order.deadline - before <= dt.timedelta(minutes=15, seconds=5)
    enrollment = order.enrollment
    assert enrollment.status == "pending" and enrollment.source == "parent"
    assert active_count(setup.section) == 1
    assert SectionEvent.objects.filter(section=setup.section, kind="enrolled", detail__order=order.order_no).exists()
    assert AuditEvent.objects.filter(object_type__icontains="order", object_id=str(order.pk)).exists()
    assert Notification.objects.filter(recipient=world.users["parent"], title__contains="待缴费").count() == 1


def test_given_school_fee_settings_when_ordering_then_deadline_follows_them(world: Any, fam: Any) -> None:
    setup, child = fam
    FeeSettings.objects.create(school=world.school_a, payment_minutes=30)
    order = _order(world, setup, child)
    assert dt.timedelta(minutes=29) < order.deadline - timezone.now() <= dt.timedelta(minutes=30)


@pytest.mark.parametrize(
    ("included", "chosen", "expected"),
    [(True, False, 35000), (False, True, 35000), (False, False, 30000)],
)
def test_given_materials_when_ordering_then_amount_includes_them_if_included_or_chosen(
    world: Any, included: bool, chosen: bool, expected: int
) -> None:
    setup = open_setup(world.school_a, materials_fee_fen=5000, materials_included=included)
    child = child_of(world.users["parent"], setup.classes[0])
    order = _order(world, setup, child, with_materials=chosen)
    assert order.amount_fen == expected and order.fee_fen == 30000
    assert order.materials_fen == expected - 30000 and order.materials_included == (expected > 30000)


def test_given_free_section_when_ordering_then_placed_at_once(world: Any) -> None:
    setup = open_setup(world.school_a, fee_fen=0)
    child = child_of(world.users["parent"], setup.classes[0])
    order = _order(world, setup, child)
    assert order.status == "paid" and order.paid_at is not None and order.amount_fen == 0
    assert order.enrollment.status == "active"
    assert services.orders_close_expired(now=timezone.now() + dt.timedelta(hours=1)) == 0


@pytest.mark.parametrize(
    ("opens", "closes", "word"),
    [
        (dt.timedelta(days=-3), dt.timedelta(days=-1), "已截止"),
        (dt.timedelta(days=1), dt.timedelta(days=3), "尚未开始"),
    ],
)
def test_given_window_not_open_when_ordering_then_refused(
    world: Any, fam: Any, opens: dt.timedelta, closes: dt.timedelta, word: str
) -> None:
    setup, child = fam
    open_window(setup.section, opens=opens, closes=closes)
    with pytest.raises(Conflict) as exc:
        _order(world, setup, child)
    assert exc.value.code == "window_closed" and word in exc.value.message


@pytest.mark.parametrize("status", ["draft", "running", "finished", "cancelled"])
def test_given_section_not_open_when_ordering_then_refused(world: Any, fam: Any, status: str) -> None:
    setup, child = fam
    setup.section.status = status
    setup.section.save(update_fields=["status"])
    with pytest.raises(Conflict) as exc:
        _order(world, setup, child)
    assert exc.value.code == "section_closed"


def test_given_child_of_other_grade_or_class_when_ordering_then_refused(world: Any) -> None:
    setup = open_setup(world.school_a, mode="class", classes=2)
    setup.section.classes.set([setup.classes[0]])
    other_class = child_of(world.users["parent"], setup.classes[1])
    with pytest.raises(ValidationFailed) as exc:
        _order(world, setup, other_class)
    assert "班级" in exc.value.message
    other_grade = child_of(
        world.users["parent"], SchoolClassFactory(grade=GradeFactory(school=world.school_a, level=6))
    )
    with pytest.raises(ValidationFailed) as exc:
        _order(world, setup, other_grade)
    assert "年级" in exc.value.message


def test_given_place_already_held_when_ordering_again_then_409_already(world: Any, fam: Any) -> None:
    setup, child = fam
    _order(world, setup, child)
    with pytest.raises(Conflict) as exc:
        _order(world, setup, child)
    assert exc.value.code == "already_enrolled" and "已报名" in exc.value.message
    assert Order.objects.count() == 1


def test_given_clashing_lesson_when_ordering_then_refused_naming_section_and_lesson(world: Any, fam: Any) -> None:
    setup, child = fam
    LessonFactory(section=setup.section, date=dt.date(2026, 9, 8))
    other = SectionFactory(school=world.school_a, status="open", term=setup.section.term, name="书法A班")
    other.grades.set([setup.grade])
    LessonFactory(section=other, date=dt.date(2026, 9, 8), starts_at=dt.time(16, 0), ends_at=dt.time(17, 0))
    _order(world, setup, child)
    with pytest.raises(Conflict) as exc:
        _order(world, setup, child, section=other)
    assert exc.value.code == "time_conflict"
    assert setup.section.name in exc.value.message and "2026-09-08 16:00–17:00" in exc.value.message


def test_given_full_section_when_ordering_then_refused_naming_numbers(world: Any) -> None:
    setup = open_setup(world.school_a, max_students=1)
    _order(world, setup, setup.students[0], key="school_a")
    child = child_of(world.users["parent"], setup.classes[0])
    with pytest.raises(Conflict) as exc:
        _order(world, setup, child)
    assert exc.value.code == "section_full" and "最多 1 人" in exc.value.message


def test_given_full_section_with_overdue_hold_when_ordering_then_the_stale_seat_is_freed_first(world: Any) -> None:
    setup = open_setup(world.school_a, max_students=1)
    stale = _order(world, setup, setup.students[0], key="school_a")
    Order.objects.filter(pk=stale.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    child = child_of(world.users["parent"], setup.classes[0])
    assert _order(world, setup, child).status == "pending"
    stale.refresh_from_db()
    assert stale.status == "closed" and stale.enrollment.status == "expired"


def test_given_roles_when_ordering_then_school_admin_own_school_only_and_teacher_refused(world: Any) -> None:
    setup = open_setup(world.school_a)
    assert _order(world, setup, setup.students[0], key="school_a").status == "pending"
    with pytest.raises(NotFound):
        _order(world, setup, setup.students[1], key="school_a2")
    with pytest.raises(PermissionDenied):
        _order(world, setup, setup.students[1], key="teacher_a")


# --- close and expiry ---------------------------------------------------------------------------------------------


def test_given_overdue_orders_when_task_runs_then_closed_seat_freed_hook_called_idempotent(
    world: Any, fam: Any, monkeypatch: Any
) -> None:
    setup, child = fam
    freed: list[int] = []
    monkeypatch.setattr(waitlist_services, "seat_freed", lambda *, section: freed.append(section.pk), raising=False)
    order = _order(world, setup, child)
    fresh = _order(world, setup, setup.students[1], key="school_a")
    assert services.orders_close_expired(now=order.deadline - dt.timedelta(seconds=1)) == 0
    Order.objects.filter(pk=fresh.pk).update(deadline=timezone.now() + dt.timedelta(hours=1))
    assert services.orders_close_expired(now=order.deadline + dt.timedelta(seconds=1)) == 1
    order.refresh_from_db()
    assert order.status == "closed" and order.closed_at and order.close_reason == "超时未支付"
    assert Enrollment.objects.get(pk=order.enrollment_id).status == "expired"
    assert active_count(setup.section) == 1 and freed == [setup.section.pk]
    assert services.orders_close_expired(now=order.deadline + dt.timedelta(minutes=5)) == 0
    assert freed == [setup.section.pk]
    assert Notification.objects.filter(recipient=world.users["parent"], title__contains="已关闭").count() == 1
    assert _order(world, setup, child).status == "pending"  # the child may order again


def test_given_task_when_run_through_celery_then_closes_overdue(world: Any, fam: Any) -> None:
    from afterschool.payments.tasks import close_expired_orders

    setup, child = fam
    order = _order(world, setup, child)
    Order.objects.filter(pk=order.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    assert close_expired_orders.delay().get() == 1


def test_given_overdue_order_when_read_then_shown_closed_before_task(world: Any, fam: Any) -> None:
    setup, child = fam
    order = _order(world, setup, child)
    Order.objects.filter(pk=order.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    assert selectors.order_list(actor=world.actor("parent"), filters={"status": "closed"}).count() == 1
    read = selectors.order_get(actor=world.actor("parent"), order_id=order.pk)
    assert read.status == "closed" and active_count(setup.section) == 0


def test_given_pending_order_when_parent_gives_up_then_closed_and_seat_freed(world: Any, fam: Any) -> None:
    setup, child = fam
    order = _order(world, setup, child)
    services.order_close(actor=world.actor("parent"), order=order)
    order.refresh_from_db()
    assert order.status == "closed" and order.close_reason == "家长放弃报名"
    assert active_count(setup.section) == 0
    with pytest.raises(Conflict):
        services.order_close(actor=world.actor("parent"), order=order)


def test_given_order_when_closing_by_others_then_refused_or_404(world: Any, fam: Any) -> None:
    setup, child = fam
    order = _order(world, setup, child)
    with pytest.raises(NotFound):
        services.order_close(actor=world.actor("school_a2"), order=order, reason="x")
    with pytest.raises(ValidationFailed):
        services.order_close(actor=world.actor("school_a"), order=order, reason="")
    with pytest.raises(PermissionDenied):
        services.order_close(actor=world.actor("teacher_a"), order=order, reason="x")
    services.order_close(actor=world.actor("school_a"), order=order, reason="家长电话放弃")
    assert Order.objects.get(pk=order.pk).close_reason == "家长电话放弃"


def test_given_orders_when_listing_then_scoped_per_role(world: Any, fam: Any) -> None:
    setup, child = fam
    mine = _order(world, setup, child)
    theirs = _order(world, setup, setup.students[0], key="school_a")
    assert set(selectors.order_list(actor=world.actor("parent"))) == {mine}
    assert set(selectors.order_list(actor=world.actor("school_a"))) == {mine, theirs}
    assert not selectors.order_list(actor=world.actor("school_a2")).exists()
    assert not selectors.order_list(actor=world.actor("teacher_a")).exists()
    assert list(selectors.order_list(actor=world.actor("school_a"), filters={"q": child.name})) == [mine]
    with pytest.raises(NotFound):
        selectors.order_get(actor=world.actor("school_a2"), order_id=mine.pk)
