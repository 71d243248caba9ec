"""Split, move, cancel (§5.2.2): rules, refusals, history, audit, notifications, access, API, pages, panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.enrollment import services as enrolling
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.tests.factories_enrollment import make_setup, sibling_section, student_with_guardian
from afterschool.notifications.models import Notification
from afterschool.scheduling.models import Lesson, Section, SectionEvent
from afterschool.scheduling.selectors.operations import section_panel_context
from afterschool.scheduling.services import operations as ops
from afterschool.scheduling.tests.factories import LessonFactory, SectionSlotFactory, SectionTeacherFactory
from afterschool.schools.tests.factories import SchoolClassFactory, StaffFactory

pytestmark = pytest.mark.django_db


def enrolled_setup(world: Any, **kwargs: Any) -> Any:
    setup = make_setup(world.school_a, **kwargs)
    enrolling.enrollment_batch_create(actor=world.actor("school_a"), section=setup.section, students=setup.students)
    Notification.objects.all().delete()
    return setup


def _active_ids(section: Section) -> set[int]:
    return set(section.enrollments.filter(status="active").values_list("student_id", flat=True))


# --- split ------------------------------------------------------------------------------------------------------


def test_given_balanced_split_then_original_keeps_first_run_and_new_part_is_a_copy(world: Any) -> None:
    setup = enrolled_setup(world, classes=1, per_class=5)
    original, new = ops.section_split(
        actor=world.actor("school_a"), section=setup.section, parts=2, strategy="balanced"
    )
    ordered = sorted(setup.students, key=lambda s: s.student_number)
    assert _active_ids(original) == {s.pk for s in ordered[:3]}
    assert _active_ids(new) == {s.pk for s in ordered[3:]}
    assert new.name == f"{original.name}（2班）" and new.split_from == original
    assert (new.course_id, new.term_id, new.fee_fen, new.max_students) == (
        original.course_id, original.term_id, original.fee_fen, original.max_students,
    )  # fmt: skip
    assert list(new.grades.all()) == [setup.grade]
    assert new.status == "draft" and new.venue is None and not new.slots.exists()
    old = Enrollment.objects.get(section=original, student=ordered[4])
    assert old.status == "moved" and old.moved_to.section == new and old.moved_to.source == "split"
    for section in (original, new):
        assert SectionEvent.objects.filter(section=section, kind="split").count() == 1
    assert AuditEvent.objects.filter(object_id=str(new.pk), event="create").exists()
    assert Notification.objects.filter(kind="section_changed").count() == 2


def test_given_class_split_then_whole_classes_kept_together_and_classes_follow(world: Any) -> None:
    setup = enrolled_setup(world, mode="class", classes=3, per_class=2)
    student_with_guardian(setup.classes[0])  # a third student in class 1 (not enrolled): no effect
    parts = ops.section_split(actor=world.actor("school_a"), section=setup.section, parts=2, strategy="class")
    for part in parts:
        classes = {
            Enrollment.objects.get(section=part, student_id=s).student.school_class_id for s in _active_ids(part)
        }
        assert set(part.classes.values_list("pk", flat=True)) == classes
    assert sorted(len(_active_ids(p)) for p in parts) == [2, 4]


def test_given_fewer_classes_than_parts_when_class_split_then_refused(world: Any) -> None:
    setup = enrolled_setup(world, classes=1, per_class=4)
    with pytest.raises(ValidationFailed):
        ops.section_split(actor=world.actor("school_a"), section=setup.section, parts=2, strategy="class")
    assert Section.objects.count() == 1


def test_given_chosen_split_then_listed_students_move_and_others_stay(world: Any) -> None:
    setup = enrolled_setup(world, classes=2, per_class=2)
    chosen = [[setup.students[0].pk], [setup.students[3].pk]]
    original, second, third = ops.section_split(
        actor=world.actor("school_a"), section=setup.section, parts=3, strategy="chosen", chosen=chosen
    )
    assert _active_ids(second) == {setup.students[0].pk} and _active_ids(third) == {setup.students[3].pk}
    assert _active_ids(original) == {setup.students[1].pk, setup.students[2].pk}
    assert third.name.endswith("（3班）")


@pytest.mark.parametrize(
    "chosen",
    [None, [[]], [[999_999]], [[-1]]],
)
def test_given_bad_chosen_lists_when_split_then_refused_and_nothing_changes(world: Any, chosen: Any) -> None:
    setup = enrolled_setup(world)
    with pytest.raises(ValidationFailed):
        ops.section_split(
            actor=world.actor("school_a"), section=setup.section, parts=2, strategy="chosen", chosen=chosen
        )
    assert Section.objects.count() == 1 and _active_ids(setup.section) == {s.pk for s in setup.students}


def test_given_student_chosen_twice_then_refused(world: Any) -> None:
    setup = enrolled_setup(world)
    pk = setup.students[0].pk
    with pytest.raises(ValidationFailed):
        ops.section_split(
            actor=world.actor("school_a"), section=setup.section, parts=3, strategy="chosen", chosen=[[pk], [pk]]
        )


def test_given_too_few_students_or_bad_parts_then_refused(world: Any) -> None:
    setup = enrolled_setup(world, classes=1, per_class=1)
    actor = world.actor("school_a")
    with pytest.raises(Conflict):
        ops.section_split(actor=actor, section=setup.section, parts=2, strategy="balanced")
    with pytest.raises(ValidationFailed):
        ops.section_split(actor=actor, section=setup.section, parts=1, strategy="balanced")
    with pytest.raises(ValidationFailed):
        ops.section_split(actor=actor, section=setup.section, parts=2, strategy="random")


def test_given_new_part_with_slots_venue_teacher_then_scheduled_copy(world: Any) -> None:
    setup = enrolled_setup(world, status="open")
    teacher = world.users["teacher_a"]
    StaffFactory(school=world.school_a, user=teacher)
    spec = {"venue": setup.section.venue, "teachers": [teacher],
            "slots": [{"weekday": 4, "starts_at": dt.time(15, 40), "ends_at": dt.time(16, 40)}]}  # fmt: skip
    _, new = ops.section_split(
        actor=world.actor("school_a"), section=setup.section, parts=2, strategy="balanced", new_sections=[spec]
    )
    assert new.status == "open" and new.venue == setup.section.venue
    assert list(new.teachers.all()) == [teacher] and new.slots.get().weekday == 4


def test_given_new_part_taught_by_someone_not_of_the_school_then_refused(world: Any) -> None:
    setup = enrolled_setup(world, status="open")
    spec = {"teachers": [world.users["teacher_a"]],  # a teacher account without a staff record here
            "slots": [{"weekday": 4, "starts_at": dt.time(15, 40), "ends_at": dt.time(16, 40)}]}  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        ops.section_split(
            actor=world.actor("school_a"), section=setup.section, parts=2, strategy="balanced", new_sections=[spec]
        )
    assert "teachers" in exc.value.detail
    assert Section.objects.filter(split_from=setup.section).count() == 0


def test_given_new_part_in_a_busy_venue_then_refused_naming_it(world: Any) -> None:
    setup = enrolled_setup(world, status="open")
    busy = sibling_section(setup, name="书法")
    LessonFactory(section=busy, venue=setup.section.venue, date=dt.date(2026, 9, 10))  # a Thursday
    spec = {"venue": setup.section.venue,
            "slots": [{"weekday": 4, "starts_at": dt.time(16, 0), "ends_at": dt.time(17, 0)}]}  # fmt: skip
    with pytest.raises(Conflict) as exc:
        ops.section_split(
            actor=world.actor("school_a"), section=setup.section, parts=2, strategy="balanced", new_sections=[spec]
        )
    assert "书法" in exc.value.message and setup.section.venue.name in exc.value.message
    assert Section.objects.filter(split_from=setup.section).count() == 0


def test_given_new_part_slot_conflicts_with_student_other_section_then_refused(world: Any) -> None:
    setup = enrolled_setup(world, classes=1, per_class=2)
    other = sibling_section(setup, name="美术")
    SectionSlotFactory(section=other, weekday=4)
    ordered = sorted(setup.students, key=lambda s: s.student_number)
    Enrollment.objects.create(section=other, student=ordered[1])
    spec = {"slots": [{"weekday": 4, "starts_at": dt.time(16, 0), "ends_at": dt.time(17, 0)}]}
    with pytest.raises(ValidationFailed) as exc:
        ops.section_split(
            actor=world.actor("school_a"), section=setup.section, parts=2, strategy="balanced", new_sections=[spec]
        )
    assert "美术" in exc.value.detail["students"][0]
    assert Section.objects.filter(split_from=setup.section).count() == 0


@pytest.mark.parametrize("status", ["finished", "cancelled"])
def test_given_closed_section_when_split_then_refused(world: Any, status: str) -> None:
    setup = enrolled_setup(world)
    Section.objects.filter(pk=setup.section.pk).update(status=status)
    with pytest.raises(Conflict):
        ops.section_split(actor=world.actor("school_a"), section=setup.section, parts=2, strategy="balanced")


# --- move -------------------------------------------------------------------------------------------------------


def test_given_valid_move_then_students_moved_with_events_on_both_and_notices(world: Any) -> None:
    setup = enrolled_setup(world)
    target = sibling_section(setup, same_course=True, name="B班")
    movers = setup.students[:2]
    moved = ops.students_move(
        actor=world.actor("school_a"), source=setup.section, target=target, students=movers, reason="家长要求"
    )
    assert {e.student_id for e in moved} == {s.pk for s in movers} and all(e.source == "move" for e in moved)
    old = Enrollment.objects.get(section=setup.section, student=movers[0])
    assert old.status == "moved" and old.moved_to.section == target and old.end_reason == "家长要求"
    for section in (setup.section, target):
        assert SectionEvent.objects.get(section=section, kind="students_moved").detail["to"] == target.pk
    assert Notification.objects.filter(kind="section_changed").count() == 2
    assert AuditEvent.objects.filter(object_id=str(old.pk), event="update").exists()


def test_given_target_of_other_course_then_refused(world: Any) -> None:
    setup = enrolled_setup(world)
    target = sibling_section(setup)
    with pytest.raises(ValidationFailed):
        ops.students_move(
            actor=world.actor("school_a"), source=setup.section, target=target, students=setup.students[:1]
        )


def test_given_target_without_capacity_then_refused_and_nothing_moves(world: Any) -> None:
    setup = enrolled_setup(world)
    target = sibling_section(setup, same_course=True, max_students=1)
    with pytest.raises(Conflict) as exc:
        ops.students_move(
            actor=world.actor("school_a"), source=setup.section, target=target, students=setup.students[:2]
        )
    assert exc.value.code == "section_full"
    assert _active_ids(target) == set() and len(_active_ids(setup.section)) == 4


def test_given_some_students_refused_then_all_or_nothing_with_reasons(world: Any) -> None:
    setup = enrolled_setup(world)
    target = sibling_section(setup, same_course=True, mode="class")
    target.classes.set([setup.classes[0]])
    outsider_class_student = next(s for s in setup.students if s.school_class_id == setup.classes[1].pk)
    not_enrolled = student_with_guardian(setup.classes[0])
    clash = sibling_section(setup, name="舞蹈")
    SectionSlotFactory(section=clash, weekday=5)
    SectionSlotFactory(section=target, weekday=5)
    clashing = next(s for s in setup.students if s.school_class_id == setup.classes[0].pk)
    Enrollment.objects.create(section=clash, student=clashing)
    with pytest.raises(ValidationFailed) as exc:
        ops.students_move(
            actor=world.actor("school_a"), source=setup.section, target=target,
            students=[outsider_class_student, not_enrolled, clashing],
        )  # fmt: skip
    reasons = exc.value.detail["students"]
    assert len(reasons) == 3
    assert (
        any("班级" in r for r in reasons)
        and any("不在课班" in r for r in reasons)
        and any("舞蹈" in r for r in reasons)
    )
    assert not Enrollment.objects.filter(section=target).exists()


def test_given_move_then_source_slots_do_not_count_as_conflict(world: Any) -> None:
    setup = enrolled_setup(world)
    target = sibling_section(setup, same_course=True)
    SectionSlotFactory(section=target, weekday=2)  # same time as the source: fine, the student leaves it
    moved = ops.students_move(
        actor=world.actor("school_a"), source=setup.section, target=target, students=setup.students[:1]
    )
    assert len(moved) == 1


def test_given_same_section_or_closed_target_then_refused(world: Any) -> None:
    setup = enrolled_setup(world)
    actor = world.actor("school_a")
    with pytest.raises(ValidationFailed):
        ops.students_move(actor=actor, source=setup.section, target=setup.section, students=setup.students[:1])
    target = sibling_section(setup, same_course=True, status="finished")
    with pytest.raises(Conflict):
        ops.students_move(actor=actor, source=setup.section, target=target, students=setup.students[:1])


# --- cancel -----------------------------------------------------------------------------------------------------


def test_given_running_section_when_cancelled_then_everything_ends_and_refund_is_recorded(world: Any) -> None:
    setup = enrolled_setup(world, status="running")
    SectionTeacherFactory(section=setup.section, user=world.users["teacher_a"])
    past = LessonFactory(section=setup.section, date=dt.date(2020, 1, 7))
    future = LessonFactory(section=setup.section, date=dt.date(2099, 1, 6), teachers=[world.users["orgteacher_a"]])
    section = ops.section_cancel(actor=world.actor("school_a"), section=setup.section, reason="报名人数不足")
    assert section.status == "cancelled" and section.cancel_reason == "报名人数不足" and section.cancelled_at
    assert set(Enrollment.objects.filter(section=section).values_list("status", flat=True)) == {"cancelled"}
    assert Lesson.objects.get(pk=future.pk).status == "cancelled"
    assert Lesson.objects.get(pk=past.pk).status == "scheduled"
    event = SectionEvent.objects.get(section=section, kind="cancelled")
    assert event.detail["refund"] == "started" and len(event.detail["enrollments"]) == 4
    assert AuditEvent.objects.filter(object_id=str(section.pk), event="update").exists()
    recipients = set(Notification.objects.filter(kind="section_cancelled").values_list("recipient_id", flat=True))
    assert {world.users["teacher_a"].pk, world.users["orgteacher_a"].pk} <= recipients
    assert len(recipients) == 6  # 4 guardians + 2 teachers


def test_on_section_cancelled_is_the_refund_hook(world: Any) -> None:
    setup = enrolled_setup(world)
    enrollments = list(setup.section.enrollments.all())
    record = ops.on_section_cancelled(setup.section, enrollments)
    assert record["refund"] == "started" and record["enrollments"] == [e.pk for e in enrollments]
    assert record["refunds"] == [] and record["orders_closed"] == 0  # no orders in this setup: nothing to refund


def test_given_finished_or_cancelled_section_when_cancelled_then_refused(world: Any) -> None:
    setup = enrolled_setup(world)
    Section.objects.filter(pk=setup.section.pk).update(status="finished")
    with pytest.raises(Conflict):
        ops.section_cancel(actor=world.actor("school_a"), section=setup.section, reason="x")
    Section.objects.filter(pk=setup.section.pk).update(status="cancelled")
    with pytest.raises(Conflict):
        ops.section_cancel(actor=world.actor("school_a"), section=setup.section, reason="x")


def test_given_no_reason_when_cancelled_then_refused(world: Any) -> None:
    setup = enrolled_setup(world)
    with pytest.raises(ValidationFailed):
        ops.section_cancel(actor=world.actor("school_a"), section=setup.section, reason=" ")


@pytest.mark.parametrize("key", ["teacher_a", "parent", "org_a", "bureau_a"])
def test_given_other_roles_then_no_operation_allowed(world: Any, key: str) -> None:
    setup = enrolled_setup(world)
    target = sibling_section(setup, same_course=True)
    actor = world.actor(key)
    with pytest.raises(PermissionDenied):
        ops.section_split(actor=actor, section=setup.section, parts=2, strategy="balanced")
    with pytest.raises(PermissionDenied):
        ops.students_move(actor=actor, source=setup.section, target=target, students=setup.students[:1])
    with pytest.raises(PermissionDenied):
        ops.section_cancel(actor=actor, section=setup.section, reason="x")


# --- panel ------------------------------------------------------------------------------------------------------


def test_panel_context_lists_masked_students_and_buttons(world: Any) -> None:
    setup = enrolled_setup(world)
    sibling_section(setup, same_course=True)
    ctx = section_panel_context(actor=world.actor("school_a"), section=setup.section)
    assert ctx["panel_active_count"] == 4 and ctx["panel_capacity"] == 30
    assert all("*" in row["id_number_masked"] for row in ctx["panel_students"])
    assert ctx["panel_can_split"] and ctx["panel_can_move"] and ctx["panel_can_cancel"] and ctx["panel_can_enrol"]
    html = render_to_string("scheduling/operations/_section_panel.html", ctx)
    assert "分班" in html and setup.students[0].id_number not in html
    teacher_ctx = section_panel_context(actor=world.actor("teacher_a"), section=setup.section)
    assert not any(teacher_ctx[k] for k in ("panel_can_split", "panel_can_move", "panel_can_cancel", "panel_can_enrol"))


# --- API --------------------------------------------------------------------------------------------------------

API = "/api/v1/scheduling/sections"


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


def test_api_split_move_cancel(world: Any, login: Any) -> None:
    setup = enrolled_setup(world, classes=2, per_class=3)
    client = login(world.users["school_a"])
    r = _post(client, f"{API}/{setup.section.pk}/split", {"parts": 2, "strategy": "balanced",
              "new_sections": [{"slots": [{"weekday": 3, "starts_at": "15:40", "ends_at": "16:40"}]}]})  # fmt: skip
    assert r.status_code == 200, r.content
    original, new = r.json()["sections"]
    assert (original["active_students"], new["active_students"]) == (3, 3) and new["split_from_id"] == original["id"]
    mover = Enrollment.objects.filter(section_id=original["id"], status="active").first()
    r = _post(client, f"{API}/{original['id']}/move", {"target": new["id"], "students": [mover.student_id]})
    assert r.status_code == 200, r.content
    assert r.json()["moved"][0]["section_id"] == new["id"]
    r = _post(client, f"{API}/{new['id']}/cancel", {"reason": "场地维修"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert _post(client, f"{API}/{new['id']}/cancel", {"reason": "再次"}).status_code == 409


def test_api_refusals_and_bad_input(world: Any, login: Any) -> None:
    setup = enrolled_setup(world)
    client = login(world.users["school_a"])
    url = f"{API}/{setup.section.pk}"
    assert _post(client, f"{url}/split", {"parts": 11, "strategy": "balanced"}).status_code == 422
    assert _post(client, f"{url}/split", {"parts": 2, "strategy": "nope"}).status_code == 422
    assert _post(client, f"{url}/cancel", {"reason": ""}).status_code == 422
    assert _post(client, f"{url}/move", {"target": 2**63, "students": [1]}).status_code == 422
    target = sibling_section(setup, same_course=True, max_students=1)
    r = _post(client, f"{url}/move", {"target": target.pk, "students": [s.pk for s in setup.students[:2]]})
    assert r.status_code == 409


def test_api_cross_school_404_and_other_roles_refused(world: Any, login: Any) -> None:
    setup = enrolled_setup(world)
    own = make_setup(world.school_a2)
    other = login(world.users["school_a2"])
    url = f"{API}/{setup.section.pk}"
    assert _post(other, f"{url}/split", {"parts": 2, "strategy": "balanced"}).status_code == 404
    assert _post(other, f"{url}/cancel", {"reason": "x"}).status_code == 404
    assert (
        _post(other, f"{url}/move", {"target": own.section.pk, "students": [setup.students[0].pk]}).status_code == 404
    )
    # moving into a section of another school, from one's own
    r = _post(other, f"{API}/{own.section.pk}/move", {"target": setup.section.pk, "students": [own.students[0].pk]})
    assert r.status_code == 404
    for key in ("teacher_a", "parent"):
        client = login(world.users[key])
        assert _post(client, f"{url}/cancel", {"reason": "x"}).status_code in (403, 404)
    assert Section.objects.get(pk=setup.section.pk).status == "draft"


# --- pages ------------------------------------------------------------------------------------------------------


def test_pages_split_move_cancel(world: Any, login: Any) -> None:
    setup = enrolled_setup(world)
    target = sibling_section(setup, same_course=True, name="B班")
    client = login(world.users["school_a"])
    split_url = reverse("scheduling:section_split", args=[setup.section.pk])
    assert client.get(split_url).status_code == 200
    r = client.post(split_url, {"parts": 2, "strategy": "chosen", "chosen": "NOPE"})
    assert r.status_code == 422 and "不是本课班的在读学生" in r.content.decode()
    number = setup.students[0].student_number
    assert client.post(split_url, {"parts": 2, "strategy": "chosen", "chosen": number}).status_code == 302
    assert Section.objects.filter(split_from=setup.section).count() == 1
    move_url = reverse("scheduling:section_move", args=[setup.section.pk])
    assert client.get(move_url).status_code == 200
    enrollment = setup.section.enrollments.filter(status="active").first()
    r = client.post(move_url, {"target": target.pk, "students": [enrollment.pk], "reason": "调整"})
    assert r.status_code == 302
    assert target.enrollments.filter(status="active").count() == 1
    cancel_url = reverse("scheduling:section_cancel", args=[setup.section.pk])
    r = client.get(cancel_url)
    assert r.status_code == 200 and "确认取消课班" in r.content.decode()
    r = client.post(cancel_url, {"reason": ""})
    assert r.status_code == 422 and "请填写原因" in r.content.decode()
    assert client.post(cancel_url, {"reason": "师资不足"}).status_code == 302
    assert Section.objects.get(pk=setup.section.pk).status == "cancelled"


def test_page_move_refusal_shows_reasons(world: Any, login: Any) -> None:
    setup = enrolled_setup(world)
    target = sibling_section(setup, same_course=True, max_students=1)
    client = login(world.users["school_a"])
    ids = list(setup.section.enrollments.values_list("pk", flat=True)[:2])
    r = client.post(reverse("scheduling:section_move", args=[setup.section.pk]), {"target": target.pk, "students": ids})
    assert r.status_code == 422 and "最多 1 人" in r.content.decode()


def test_pages_cross_school_404_and_other_roles_403(world: Any, login: Any) -> None:
    setup = enrolled_setup(world)
    other = login(world.users["school_a2"])
    teacher = login(world.users["teacher_a"])
    parent = login(world.users["parent"])
    for name in ("scheduling:section_split", "scheduling:section_move", "scheduling:section_cancel"):
        url = reverse(name, args=[setup.section.pk])
        assert other.get(url).status_code == 404
        assert other.post(url, {"reason": "x", "parts": 2, "strategy": "balanced"}).status_code == 404
        assert teacher.get(url).status_code == 403
        assert parent.get(url).status_code == 404
    assert Section.objects.get(pk=setup.section.pk).status == "draft"


def test_split_by_class_for_walking_section_keeps_original_classes(world: Any) -> None:
    setup = enrolled_setup(world, classes=2, per_class=1)
    SchoolClassFactory(grade=setup.grade, name="9班")  # a third class of the grade with nobody in the section
    original, new = ops.section_split(actor=world.actor("school_a"), section=setup.section, parts=2, strategy="class")
    assert not original.classes.exists() and not new.classes.exists()
