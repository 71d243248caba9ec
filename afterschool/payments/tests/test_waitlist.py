"""候补 (waitlist): joining a full section in order, offers on a freed seat, expiry passing to the next, the accept
hook, leaving/cancelling, pages and API with cross-school and other-family 404s, and the PostgreSQL race."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from afterschool.accounts.choices import Role
from afterschool.accounts.models import RoleMembership
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.notifications.models import Notification
from afterschool.payments.choices import OrderStatus, WaitlistStatus
from afterschool.payments.models import FeeSettings, Order, WaitlistEntry
from afterschool.payments.selectors import waitlist as selectors
from afterschool.payments.services import waitlist as services
from afterschool.scheduling.models import Section
from afterschool.scheduling.tests.factories import SectionFactory, SectionSlotFactory
from afterschool.schools.models import Student
from afterschool.schools.tests.factories import (
    GuardianFactory,
    SchoolClassFactory,
    StudentFactory,
    StudentGuardianFactory,
)
from afterschool.tenancy.actor import Actor

API = "/api/v1/payments"


@dataclass
class Setup:
    section: Section
    holder: Enrollment  # the enrolment filling the only seat
    kids: list[Student]  # children of world.users["parent"]


def make_setup(world: Any, *, kids: int = 3, max_students: int = 1, school: Any = None) -> Setup:
    school = school or world.school_a
    klass = SchoolClassFactory(grade__school=school)
    section = SectionFactory(
        school=school, status="open", max_students=max_students, fee_fen=10000, materials_fee_fen=2500
    )
    section.grades.add(klass.grade)
    guardian = GuardianFactory(user=world.users["parent"])
    children = []
    for _ in range(kids):
        child = StudentFactory(school_class=klass)
        StudentGuardianFactory(student=child, guardian=guardian)
        children.append(child)
    holders = [
        EnrollmentFactory(section=section, student=StudentFactory(school_class=klass)) for _ in range(max_students)
    ]
    return Setup(section=section, holder=holders[0], kids=children)


def parent(world: Any) -> Actor:
    return world.actor("parent")


def free_seat(setup: Setup) -> None:
    setup.holder.status = "withdrawn"
    setup.holder.save()


def other_parent() -> Any:
    user = UserFactory(username="parent_other")
    MembershipFactory(user=user, role=Role.PARENT)
    return user


def actor_for(user: Any) -> Actor:
    m = RoleMembership.objects.get(user=user)
    return Actor(user=user, membership=m, permissions=frozenset(m.permissions))


def entry_of(setup: Setup, kid: int) -> WaitlistEntry:
    return WaitlistEntry.objects.get(section=setup.section, student=setup.kids[kid])


# --- join --------------------------------------------------------------------------------------------------------


def test_given_full_section_when_children_join_then_positions_follow_order_of_joining(world: Any) -> None:
    setup = make_setup(world)
    entries = [
        services.waitlist_join(actor=parent(world), section=setup.section, student=kid, with_materials=False)
        for kid in setup.kids
    ]
    positions = [selectors.position_of(selectors.waitlist_get(actor=parent(world), entry_id=e.pk)) for e in entries]
    assert positions == [1, 2, 3]
    queue = list(selectors.section_waitlist(section=setup.section))
    assert [e.student_id for e in queue] == [k.pk for k in setup.kids]
    services.waitlist_leave(actor=parent(world), entry=entries[0])
    assert selectors.position_of(selectors.waitlist_get(actor=parent(world), entry_id=entries[2].pk)) == 2


def test_given_free_seats_when_joining_then_refused(world: Any) -> None:
    setup = make_setup(world)
    free_seat(setup)
    with pytest.raises(Conflict) as exc:
        services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    assert exc.value.code == "seats_free"
    assert not WaitlistEntry.objects.exists()


def test_given_child_with_a_place_when_joining_then_refused(world: Any) -> None:
    setup = make_setup(world)
    setup.holder.student = setup.kids[0]
    setup.holder.save()
    with pytest.raises(ValidationFailed) as exc:
        services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    assert "已在课班" in exc.value.message


def test_given_time_clash_when_joining_then_refused(world: Any) -> None:
    setup = make_setup(world)
    other = SectionFactory(school=world.school_a, term=setup.section.term, status="open", max_students=5)
    other.grades.add(setup.kids[0].grade)
    SectionSlotFactory(section=setup.section, weekday=2)
    SectionSlotFactory(section=other, weekday=2)
    EnrollmentFactory(section=other, student=setup.kids[0])
    with pytest.raises(ValidationFailed) as exc:
        services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    assert "时间冲突" in exc.value.message


def test_given_already_waiting_or_closed_section_when_joining_then_conflict(world: Any) -> None:
    setup = make_setup(world)
    services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    with pytest.raises(Conflict) as exc:
        services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    assert exc.value.code == "already_waiting"
    Section.objects.filter(pk=setup.section.pk).update(status="running")
    with pytest.raises(Conflict) as exc:
        services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[1], with_materials=False)
    assert exc.value.code == "not_open"


def test_given_other_family_or_school_or_teacher_when_joining_then_404_or_403(world: Any) -> None:
    setup = make_setup(world)
    stranger = actor_for(other_parent())
    with pytest.raises(NotFound):
        services.waitlist_join(actor=stranger, section=setup.section, student=setup.kids[0], with_materials=False)
    with pytest.raises(NotFound):
        selectors.student_for_join(actor=stranger, student_id=setup.kids[0].pk)
    with pytest.raises(NotFound):
        services.waitlist_join(
            actor=world.actor("school_b"), section=setup.section, student=setup.kids[0], with_materials=False
        )
    with pytest.raises(PermissionDenied):
        services.waitlist_join(
            actor=world.actor("teacher_a"), section=setup.section, student=setup.kids[0], with_materials=False
        )


def test_given_school_admin_when_joining_for_a_student_then_queued(world: Any) -> None:
    setup = make_setup(world)
    entry = services.waitlist_join(
        actor=world.actor("school_a"), section=setup.section, student=setup.kids[0], with_materials=False
    )
    assert entry.status == WaitlistStatus.WAITING and entry.requested_by == world.users["school_a"]


# --- offers ------------------------------------------------------------------------------------------------------


def test_given_waiting_children_when_seat_freed_then_first_offered_with_order_and_notice(world: Any) -> None:
    setup = make_setup(world)
    FeeSettings.objects.create(school=world.school_a, waitlist_offer_minutes=30)
    for i, kid in enumerate(setup.kids):
        services.waitlist_join(actor=parent(world), section=setup.section, student=kid, with_materials=i == 0)
    free_seat(setup)
    before = timezone.now()
    offers = services.seat_freed(section=setup.section)
    assert [o.student_id for o in offers] == [setup.kids[0].pk]
    first = entry_of(setup, 0)
    assert first.status == WaitlistStatus.OFFERED and first.order is not None
    assert before + dt.timedelta(minutes=30) <= first.offer_deadline <= timezone.now() + dt.timedelta(minutes=30)
    order = first.order
    assert (order.status, order.fee_fen, order.materials_fen, order.amount_fen) == ("pending", 10000, 2500, 12500)
    assert order.deadline == first.offer_deadline and len(order.order_no) == 22
    assert order.enrollment.status == "pending" and order.enrollment.student_id == setup.kids[0].pk
    assert Notification.objects.filter(recipient=world.users["parent"], title__contains="候补成功").count() == 1
    assert entry_of(setup, 1).status == WaitlistStatus.WAITING
    # the seat is held: a second call offers nothing more
    assert services.seat_freed(section=setup.section) == []


def test_given_offer_without_materials_then_amount_is_fee_only(world: Any) -> None:
    setup = make_setup(world, kids=1)
    services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    free_seat(setup)
    services.seat_freed(section=setup.section)
    order = entry_of(setup, 0).order
    assert order is not None and (order.materials_fen, order.amount_fen, order.materials_included) == (0, 10000, False)


def test_given_first_child_no_longer_valid_when_seat_freed_then_skipped_cancelled_and_next_offered(world: Any) -> None:
    setup = make_setup(world)
    for kid in setup.kids:
        services.waitlist_join(actor=parent(world), section=setup.section, student=kid, with_materials=False)
    Student.objects.filter(pk=setup.kids[0].pk).update(is_active=False)
    EnrollmentFactory(
        section=SectionFactory(school=world.school_a, term=setup.section.term), student=setup.kids[1]
    )  # no clash: no slots
    free_seat(setup)
    services.seat_freed(section=setup.section)
    assert entry_of(setup, 0).status == WaitlistStatus.CANCELLED
    assert entry_of(setup, 1).status == WaitlistStatus.OFFERED
    assert Notification.objects.filter(title__contains="候补已取消", body__contains="不在读").count() == 1


def test_given_two_seats_freed_then_two_offers_in_order(world: Any) -> None:
    setup = make_setup(world, max_students=2)
    for kid in setup.kids:
        services.waitlist_join(actor=parent(world), section=setup.section, student=kid, with_materials=False)
    Enrollment.objects.filter(section=setup.section, status="active").update(status="removed")
    offers = services.seat_freed(section=setup.section)
    assert [o.student_id for o in offers] == [setup.kids[0].pk, setup.kids[1].pk]
    assert entry_of(setup, 2).status == WaitlistStatus.WAITING


def test_given_cancelled_section_when_seat_freed_then_queue_closed(world: Any) -> None:
    setup = make_setup(world, kids=1)
    services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    Section.objects.filter(pk=setup.section.pk).update(status="cancelled")
    assert services.seat_freed(section=setup.section) == []
    assert entry_of(setup, 0).status == WaitlistStatus.CANCELLED


def test_given_offer_past_deadline_when_expired_then_next_child_offered(world: Any) -> None:
    setup = make_setup(world)
    for kid in setup.kids[:2]:
        services.waitlist_join(actor=parent(world), section=setup.section, student=kid, with_materials=False)
    free_seat(setup)
    services.seat_freed(section=setup.section)
    first = entry_of(setup, 0)
    assert services.waitlist_offers_expire(now=first.offer_deadline - dt.timedelta(seconds=1)) == 0
    past = timezone.now() - dt.timedelta(minutes=1)  # the offer's time ran out a minute ago
    WaitlistEntry.objects.filter(pk=first.pk).update(offer_deadline=past)
    Order.objects.filter(pk=first.order_id).update(deadline=past)
    assert services.waitlist_offers_expire(now=timezone.now()) == 1
    first.refresh_from_db()
    assert first.status == WaitlistStatus.EXPIRED
    assert first.order is not None and first.order.status == OrderStatus.CLOSED
    assert first.order.enrollment.status == "expired"
    second = entry_of(setup, 1)
    assert second.status == WaitlistStatus.OFFERED and second.order is not None
    assert second.offer_deadline is not None and second.offer_deadline > timezone.now() + dt.timedelta(minutes=59)
    assert services.waitlist_offers_expire(now=timezone.now()) == 0  # idempotent
    from afterschool.payments.tasks import expire_waitlist_offers

    assert expire_waitlist_offers() == 0  # the beat task


def test_given_offer_order_closed_by_orders_task_then_entry_expired_and_next_offered(world: Any) -> None:
    from afterschool.payments.services import orders as order_services

    setup = make_setup(world)
    for kid in setup.kids[:2]:
        services.waitlist_join(actor=parent(world), section=setup.section, student=kid, with_materials=False)
    free_seat(setup)
    services.seat_freed(section=setup.section)
    first = entry_of(setup, 0)
    assert first.order is not None
    order_services.orders_close_expired(now=first.order.deadline + dt.timedelta(seconds=1))
    assert entry_of(setup, 0).status == WaitlistStatus.EXPIRED
    assert entry_of(setup, 1).status == WaitlistStatus.OFFERED


def test_given_offer_paid_when_hook_called_then_accepted(world: Any) -> None:
    setup = make_setup(world, kids=1)
    services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    free_seat(setup)
    services.seat_freed(section=setup.section)
    order = entry_of(setup, 0).order
    assert order is not None
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, paid_at=timezone.now())
    entry = services.waitlist_offer_accepted(order=order)
    assert entry is not None and entry.status == WaitlistStatus.ACCEPTED
    assert services.waitlist_offer_accepted(order=order) is None
    # a paid offer never expires
    assert services.waitlist_offers_expire(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert entry_of(setup, 0).status == WaitlistStatus.ACCEPTED


def test_given_offered_child_when_parent_leaves_then_seat_passes_to_next(world: Any) -> None:
    setup = make_setup(world)
    for kid in setup.kids[:2]:
        services.waitlist_join(actor=parent(world), section=setup.section, student=kid, with_materials=False)
    free_seat(setup)
    services.seat_freed(section=setup.section)
    first = entry_of(setup, 0)
    services.waitlist_leave(actor=parent(world), entry=first)
    first.refresh_from_db()
    assert first.status == WaitlistStatus.CANCELLED and first.order is not None
    assert first.order.status == OrderStatus.CLOSED and first.order.enrollment.status == "expired"
    assert entry_of(setup, 1).status == WaitlistStatus.OFFERED
    with pytest.raises(Conflict):
        services.waitlist_leave(actor=parent(world), entry=first)


def test_given_school_cancel_needs_reason_and_own_school(world: Any) -> None:
    setup = make_setup(world, kids=1)
    entry = services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0],
                                   with_materials=False)  # fmt: skip
    with pytest.raises(ValidationFailed):
        services.waitlist_cancel(actor=world.actor("school_a"), entry=entry, reason=" ")
    with pytest.raises(NotFound):
        services.waitlist_cancel(actor=world.actor("school_b"), entry=entry, reason="名额调整")
    with pytest.raises(PermissionDenied):
        services.waitlist_cancel(actor=parent(world), entry=entry, reason="名额调整")
    services.waitlist_cancel(actor=world.actor("school_a"), entry=entry, reason="名额调整")
    assert entry_of(setup, 0).status == WaitlistStatus.CANCELLED
    assert Notification.objects.filter(title__contains="被学校取消", body__contains="名额调整").exists()


# --- API ---------------------------------------------------------------------------------------------------------


def test_api_join_list_leave(world: Any, login: Any) -> None:
    setup = make_setup(world)
    client = login(world.users["parent"])
    for i, kid in enumerate(setup.kids[:2]):
        r = client.post(f"{API}/waitlist", {"section_id": setup.section.pk, "student_id": kid.pk},
                        content_type="application/json")  # fmt: skip
        assert r.status_code == 201, r.content
        assert r.json()["position"] == i + 1 and r.json()["status"] == "waiting"
    entry_id = r.json()["id"]
    r = client.get(f"{API}/waitlist", {"section": setup.section.pk, "status": "waiting"})
    assert r.status_code == 200 and r.json()["count"] == 2
    r = client.post(f"{API}/waitlist/{entry_id}/leave", content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["position"] is None
    r = client.post(f"{API}/waitlist", {"section_id": setup.section.pk, "student_id": setup.kids[0].pk},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 409
    r = client.post(f"{API}/waitlist", {"section_id": 0, "student_id": setup.kids[0].pk},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 422


def test_api_cross_family_and_cross_school_answer_404(world: Any, login: Any) -> None:
    setup = make_setup(world)
    entry = services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0],
                                   with_materials=False)  # fmt: skip
    stranger = login(other_parent())
    r = stranger.post(f"{API}/waitlist", {"section_id": setup.section.pk, "student_id": setup.kids[1].pk},
                      content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    assert stranger.post(f"{API}/waitlist/{entry.pk}/leave", content_type="application/json").status_code == 404
    assert stranger.get(f"{API}/waitlist").json()["count"] == 0
    school_b = login(world.users["school_b"])
    assert school_b.post(f"{API}/waitlist/{entry.pk}/cancel", {"reason": "x"},
                         content_type="application/json").status_code == 404  # fmt: skip
    assert school_b.get(f"{API}/waitlist").json()["count"] == 0
    # a section of another school, with the parent's own child: 404
    other = SectionFactory(school=world.school_b, status="open")
    r = login(world.users["parent"]).post(f"{API}/waitlist", {"section_id": other.pk, "student_id": setup.kids[1].pk},
                                          content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    school_a = login(world.users["school_a"])
    r = school_a.post(f"{API}/waitlist/{entry.pk}/cancel", {"reason": "名额调整"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


# --- pages -------------------------------------------------------------------------------------------------------


def test_pages_parent_joins_sees_position_and_leaves(world: Any, login: Any) -> None:
    setup = make_setup(world)
    client = login(world.users["parent"])
    r = client.post("/payments/waitlist/join/", {"section": setup.section.pk, "student": setup.kids[0].pk})
    assert r.status_code == 302
    entry = entry_of(setup, 0)
    r = client.get("/payments/waitlist/")
    assert r.status_code == 200 and "第 1 位" in r.content.decode() and setup.section.name in r.content.decode()
    r = client.get("/payments/waitlist/?export=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    r = client.get(f"/payments/waitlist/{entry.pk}/leave/")
    assert r.status_code == 200 and "确认退出" in r.content.decode()
    r = client.post(f"/payments/waitlist/{entry.pk}/leave/")
    assert r.status_code == 302
    assert entry_of(setup, 0).status == WaitlistStatus.CANCELLED


def test_pages_join_refused_when_seats_free_shows_message(world: Any, login: Any) -> None:
    setup = make_setup(world)
    free_seat(setup)
    client = login(world.users["parent"])
    r = client.post("/payments/waitlist/join/", {"section": setup.section.pk, "student": setup.kids[0].pk}, follow=True)
    assert "尚有名额" in r.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_pages_join_button_renders(world: Any, rf: Any) -> None:
    from django.template.loader import render_to_string

    setup = make_setup(world)
    html = render_to_string(
        "payments/waitlist/_join_button.html",
        {"section": setup.section, "student": setup.kids[0]}, request=rf.get("/payments/selection/"),
    )  # fmt: skip
    assert "加入候补" in html and f'value="{setup.kids[0].pk}"' in html and "同时购买材料" in html


def test_pages_school_queue_and_cancel_and_cross_tenant_404(world: Any, login: Any) -> None:
    setup = make_setup(world)
    entries = [
        services.waitlist_join(actor=parent(world), section=setup.section, student=kid, with_materials=False)
        for kid in setup.kids[:2]
    ]
    school = login(world.users["school_a"])
    r = school.get(f"/payments/sections/{setup.section.pk}/waitlist/")
    body = r.content.decode()
    assert r.status_code == 200 and body.index(setup.kids[0].name) < body.index(setup.kids[1].name)
    assert school.get(f"/payments/sections/{setup.section.pk}/waitlist/?export=xlsx").status_code == 200
    r = school.post(f"/payments/waitlist/{entries[0].pk}/cancel/", {"reason": ""})
    assert r.status_code == 422 and "请填写取消原因" in r.content.decode()
    r = school.post(f"/payments/waitlist/{entries[0].pk}/cancel/", {"reason": "名额调整"})
    assert r.status_code == 302 and entry_of(setup, 0).status == WaitlistStatus.CANCELLED
    school_b = login(world.users["school_b"])
    assert school_b.get(f"/payments/sections/{setup.section.pk}/waitlist/").status_code == 404
    assert school_b.get(f"/payments/waitlist/{entries[1].pk}/cancel/").status_code == 404
    stranger = login(other_parent())
    assert stranger.get(f"/payments/waitlist/{entries[1].pk}/leave/").status_code == 404
    assert stranger.post("/payments/waitlist/join/", {"section": setup.section.pk,
                                                      "student": setup.kids[2].pk}).status_code == 404  # fmt: skip
    assert login(world.users["parent"]).get(f"/payments/sections/{setup.section.pk}/waitlist/").status_code == 404


# --- the race ----------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_simultaneous_seat_freed_for_one_seat_then_exactly_one_offer(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    setup = make_setup(world)
    for kid in setup.kids:
        services.waitlist_join(actor=parent(world), section=setup.section, student=kid, with_materials=False)
    free_seat(setup)
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(len(services.seat_freed(section=setup.section)))
        except BaseException as exc:  # pragma: no cover - shown in the assertion
            results.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [0, 1]
    assert WaitlistEntry.objects.filter(section=setup.section, status=WaitlistStatus.OFFERED).count() == 1
    assert entry_of(setup, 0).status == WaitlistStatus.OFFERED
    assert Enrollment.objects.filter(section=setup.section, status="pending").count() == 1


def test_given_a_waiting_child_when_the_school_removes_a_student_then_the_freed_seat_is_offered(world: Any) -> None:
    from afterschool.enrollment.services import enrollment_remove

    setup = make_setup(world)
    services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    enrollment_remove(actor=world.actor("school_a"), enrollment=setup.holder, reason="转学")
    entry = WaitlistEntry.objects.get(student=setup.kids[0])
    assert entry.status == WaitlistStatus.OFFERED and entry.order is not None
    assert entry.order.status == OrderStatus.PENDING


def test_given_a_waiting_child_when_students_move_out_then_the_source_seat_is_offered(world: Any) -> None:
    from afterschool.scheduling.services.operations import students_move

    setup = make_setup(world)
    target = SectionFactory(
        school=setup.section.school, term=setup.section.term, course=setup.section.course, approved=False,
        status="open", max_students=5,
    )  # fmt: skip
    target.grades.set(setup.section.grades.all())
    services.waitlist_join(actor=parent(world), section=setup.section, student=setup.kids[0], with_materials=False)
    students_move(actor=world.actor("school_a"), source=setup.section, target=target, students=[setup.holder.student])
    assert WaitlistEntry.objects.get(student=setup.kids[0]).status == WaitlistStatus.OFFERED
