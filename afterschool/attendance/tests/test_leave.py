"""Leave (请假) services and selectors: a family's request for future lessons, the decision by the section's teacher
or the school, withdrawal, scoping; a teacher's leave decided with a substitute or a cancellation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.accounts.choices import Role
from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.choices import LeaveStatus
from afterschool.attendance.models import LeaveRequest, StudentAttendance, TeacherLeave
from afterschool.attendance.selectors import leave as selectors
from afterschool.attendance.services import leave as services
from afterschool.attendance.tests.factories import (
    D,
    LeaveRequestFactory,
    StudentAttendanceFactory,
    T,
    TeacherLeaveFactory,
    freeze,
    make_day,
)
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.notifications.models import Notification
from afterschool.scheduling.models import Lesson
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory, SectionTeacherFactory
from afterschool.schools.tests.factories import StaffFactory
from afterschool.tenancy.actor import Actor

MORNING_BEFORE = dt.datetime(2026, 11, 9, 10, 0)  # Monday: every lesson but the first (3 Nov) is still to come


def _actor(user: Any, role: str, **scope: Any) -> Actor:
    membership = MembershipFactory(user=user, role=role, **scope)
    return Actor(user=user, membership=membership, permissions=frozenset())


@pytest.fixture
def day(world: Any, monkeypatch: Any) -> Any:
    freeze(monkeypatch, MORNING_BEFORE)
    return make_day(world)


def _ask(day: Any, lessons: list[Lesson], reason: str = "感冒发烧") -> list[LeaveRequest]:
    parent = day.world.actor("parent")
    return services.leave_request(actor=parent, student=day.child, lessons=lessons, reason=reason)


def _other_section(day: Any, *, teacher: Any = None, enrol: bool = True) -> Any:
    """A second section of school_a on Thursdays (12 and 19 Nov), taught by `teacher`; the child is placed in it."""
    section = SectionFactory(school=day.school, term=day.section.term, name="少儿围棋", status="running")
    teachers = [teacher] if teacher is not None else []
    if teacher is not None:
        SectionTeacherFactory(section=section, user=teacher)
    lessons = [
        LessonFactory(section=section, number=n, date=d, starts_at=T(16, 0), ends_at=T(17, 0), teachers=teachers)
        for n, d in enumerate([D(2026, 11, 12), D(2026, 11, 19)], start=1)
    ]
    if enrol:
        EnrollmentFactory(section=section, student=day.child)
    return section, lessons


# --- the request -----------------------------------------------------------------------------------------------


def test_given_a_lesson_that_started_a_minute_ago_when_parent_asks_leave_then_refused_naming_it(
    day: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 41))
    with pytest.raises(ValidationFailed) as refused:
        _ask(day, [day.today, day.future])
    assert refused.value.code == "lesson_started"
    assert refused.value.message == "11月10日 15:40 的课已开始，不能请假"
    assert refused.value.detail == {"lessons": ["11月10日 15:40 的课已开始，不能请假"]}
    assert LeaveRequest.objects.count() == 0


def test_given_the_minute_before_start_when_parent_asks_leave_then_accepted(day: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 39))
    [leave] = _ask(day, [day.today])
    assert list(leave.lessons.all()) == [day.today]


def test_given_the_lesson_start_itself_when_parent_asks_leave_then_refused(day: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 40))
    with pytest.raises(ValidationFailed) as refused:
        _ask(day, [day.today])
    assert refused.value.code == "lesson_started"


def test_given_a_cancelled_lesson_when_parent_asks_leave_then_refused(day: Any) -> None:
    Lesson.objects.filter(pk=day.future.pk).update(status="cancelled", cancel_reason="运动会")
    with pytest.raises(ValidationFailed) as refused:
        _ask(day, [day.future])
    assert refused.value.code == "lesson_cancelled"
    assert refused.value.message == "11月17日 15:40 的课已停课，不用请假"


def test_given_a_lesson_of_a_section_the_child_is_not_placed_in_when_asked_then_refused(day: Any) -> None:
    _section, lessons = _other_section(day, enrol=False)
    with pytest.raises(ValidationFailed) as refused:
        _ask(day, [lessons[0]])
    assert refused.value.code == "not_placed"
    assert refused.value.message == "11月12日 16:00 的课不是学生1所在课班的课"


def test_given_a_withdrawn_place_when_asked_then_refused(day: Any) -> None:
    day.child.enrollments.update(status="withdrawn")
    with pytest.raises(ValidationFailed) as refused:
        _ask(day, [day.future])
    assert refused.value.code == "not_placed"


def test_given_another_schools_lesson_id_when_picked_then_refused_without_saying_more(day: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        selectors.leave_lessons(student=day.child, lesson_ids=[day.future.pk, day.other_lesson.pk])
    assert refused.value.detail == {"lessons": ["所选课次中有不属于学生1的课次"]}
    assert [x.pk for x in selectors.leave_lessons(student=day.child, lesson_ids=[day.future.pk])] == [day.future.pk]


def test_given_a_lesson_already_covered_when_asked_again_then_refused_until_the_first_is_rejected(day: Any) -> None:
    [first] = _ask(day, [day.future])
    with pytest.raises(ValidationFailed) as refused:
        _ask(day, [day.future, day.lessons[3]])
    assert refused.value.code == "already_covered"
    assert refused.value.message == "11月17日 15:40 的课已经请过假（待审批或已批准）"
    assert LeaveRequest.objects.count() == 1
    services.leave_decide(actor=day.world.actor("teacher_a"), leave=first, approve=False, note="当天有展示")
    [second] = _ask(day, [day.future])
    assert second.pk != first.pk


def test_given_lessons_of_two_sections_when_asked_then_one_request_per_section(day: Any) -> None:
    other, other_lessons = _other_section(day)
    created = _ask(day, [day.lessons[3], other_lessons[1], day.future, other_lessons[0]], reason="  外出比赛  ")
    assert len(created) == 2
    by_section = {x.section_id: x for x in created}
    assert sorted(x.pk for x in by_section[day.section.pk].lessons.all()) == sorted([day.future.pk, day.lessons[3].pk])
    assert sorted(x.pk for x in by_section[other.pk].lessons.all()) == sorted(x.pk for x in other_lessons)
    assert {x.reason for x in created} == {"外出比赛"}
    assert {x.status for x in created} == {LeaveStatus.PENDING}
    assert {x.requested_by_id for x in created} == {day.world.users["parent"].pk}
    assert AuditEvent.objects.filter(object_type="attendance.leaverequest", event="create").count() == 2


@pytest.mark.parametrize(
    ("reason", "message"), [("", "请填写请假原因"), ("   ", "请填写请假原因"), ("病" * 201, "请假原因最多 200 字")]
)
def test_given_a_bad_reason_when_asked_then_refused(day: Any, reason: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _ask(day, [day.future], reason=reason)
    assert refused.value.detail == {"reason": [message]}


def test_given_no_lessons_when_asked_then_refused(day: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _ask(day, [])
    assert refused.value.detail == {"lessons": ["请选择要请假的课次"]}


def test_given_a_parent_of_another_child_when_asking_leave_then_not_found(day: Any) -> None:
    stranger = _actor(UserFactory(), Role.PARENT)
    with pytest.raises(NotFound):
        services.leave_request(actor=stranger, student=day.child, lessons=[day.future], reason="病")
    with pytest.raises(NotFound):
        selectors.child_get(actor=stranger, student_id=day.child.pk)
    teacher = day.world.actor("teacher_a")
    with pytest.raises(NotFound):
        services.leave_request(actor=teacher, student=day.child, lessons=[day.future], reason="病")


def test_given_a_student_login_when_it_asks_for_itself_then_accepted(day: Any) -> None:
    day.child.user = day.world.users["student"]
    day.child.save(update_fields=["user"])
    student = day.world.actor("student")
    assert [c.pk for c in selectors.children(actor=student)] == [day.child.pk]
    [leave] = services.leave_request(actor=student, student=day.child, lessons=[day.future], reason="看牙")
    assert leave.requested_by_id == day.world.users["student"].pk


def test_given_a_request_then_the_sections_teachers_are_told_with_a_link_to_review(day: Any) -> None:
    [leave] = _ask(day, [day.future, day.lessons[3]])
    [notice] = Notification.objects.filter(kind="leave")
    assert notice.recipient_id == day.teacher.pk
    assert notice.title == "请假申请：学生1"
    assert "11月17日 15:40、11月24日 15:40" in notice.body and "感冒发烧" in notice.body
    assert notice.link == f"/attendance/leave/review/?status=pending&section={day.section.pk}"
    assert notice.data["leave_id"] == leave.pk


def test_upcoming_lessons_list_the_childs_future_lessons_grouped_and_mark_covered(day: Any, monkeypatch: Any) -> None:
    _other_section(day)
    Lesson.objects.filter(pk=day.lessons[3].pk).update(status="cancelled")
    _ask(day, [day.future])
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 41))
    groups = selectors.upcoming_lessons(student=day.child)
    assert [g.section.name for g in groups] == ["少儿围棋", "少儿创意美术"]  # first lesson: 12 Nov, then 17 Nov
    art = groups[1]
    assert [(c.lesson.pk, c.covered) for c in art.lessons] == [(day.future.pk, True)]
    assert art.lessons[0].label == "11月17日 周二 15:40–16:40"
    assert [c.lesson.date for c in groups[0].lessons] == [D(2026, 11, 12), D(2026, 11, 19)]


# --- the decision ----------------------------------------------------------------------------------------------


def test_given_approval_after_one_lesson_started_then_leave_rows_only_for_unstarted_and_marked_rows_kept(
    day: Any, monkeypatch: Any
) -> None:
    [leave] = _ask(day, [day.today, day.future, day.lessons[3]])
    teacher_user = day.teacher
    unmarked = StudentAttendanceFactory(lesson=day.future, student=day.child, status="absent", marked_by=None)
    StudentAttendanceFactory(lesson=day.lessons[3], student=day.child, status="present", marked_by=teacher_user)
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 16, 0))
    done = services.leave_decide(actor=day.world.actor("teacher_a"), leave=leave, approve=True, note="注意休息")
    assert done.status == LeaveStatus.APPROVED and done.decided_by_id == teacher_user.pk
    assert done.decision_note == "注意休息" and done.decided_at is not None
    rows = {r.lesson_id: r for r in StudentAttendance.objects.filter(student=day.child)}
    assert day.today.pk not in rows  # started before the decision: skipped
    assert rows[day.future.pk].pk == unmarked.pk
    assert (rows[day.future.pk].status, rows[day.future.pk].leave_id) == ("leave", leave.pk)
    assert (rows[day.lessons[3].pk].status, rows[day.lessons[3].pk].leave_id) == ("present", None)
    audit = AuditEvent.objects.filter(object_type="attendance.leaverequest", event="update").get()
    assert audit.detail["marked"] == [day.future.pk]
    assert audit.detail["kept"] == [day.lessons[3].pk]
    assert audit.detail["skipped"] == [day.today.pk]


def test_given_approval_then_new_leave_rows_are_written_and_guardians_and_requester_told(day: Any) -> None:
    [leave] = _ask(day, [day.future, day.lessons[3]])
    school = day.world.actor("school_a")
    services.leave_decide(actor=school, leave=leave, approve=True, note="")
    rows = StudentAttendance.objects.filter(student=day.child).order_by("lesson__date")
    assert [(r.lesson_id, r.status, r.leave_id, r.marked_by_id) for r in rows] == [
        (day.future.pk, "leave", leave.pk, None),
        (day.lessons[3].pk, "leave", leave.pk, None),
    ]
    [notice] = Notification.objects.filter(kind="leave", title__startswith="请假已批准")
    assert notice.recipient_id == day.world.users["parent"].pk
    assert notice.title == "请假已批准：学生1"
    assert "11月17日 15:40、11月24日 15:40 的请假已批准" in notice.body


def test_given_a_rejection_without_reason_then_refused_and_with_reason_the_family_told(day: Any) -> None:
    [leave] = _ask(day, [day.future])
    teacher = day.world.actor("teacher_a")
    with pytest.raises(ValidationFailed) as refused:
        services.leave_decide(actor=teacher, leave=leave, approve=False, note="  ")
    assert refused.value.detail == {"note": ["请填写驳回原因"]}
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.PENDING
    services.leave_decide(actor=teacher, leave=leave, approve=False, note="当天有期末展示")
    leave.refresh_from_db()
    assert (leave.status, leave.decision_note) == (LeaveStatus.REJECTED, "当天有期末展示")
    assert not StudentAttendance.objects.exists()
    notice = Notification.objects.get(title__startswith="请假已驳回")
    assert notice.recipient_id == day.world.users["parent"].pk
    assert notice.body.endswith("的请假已驳回：当天有期末展示")


def test_given_a_decided_request_when_decided_again_then_conflict(day: Any) -> None:
    [leave] = _ask(day, [day.future])
    services.leave_decide(actor=day.world.actor("school_a"), leave=leave, approve=True)
    with pytest.raises(Conflict) as refused:
        services.leave_decide(actor=day.world.actor("teacher_a"), leave=leave, approve=False, note="不行")
    assert refused.value.code == "leave_decided" and refused.value.status == 409


def test_given_a_teacher_of_another_section_then_the_request_is_invisible_and_cannot_be_decided(day: Any) -> None:
    [leave] = _ask(day, [day.future])
    other_teacher = UserFactory(display_name="赵老师")
    actor = _actor(other_teacher, Role.TEACHER, school=day.school)
    _other_section(day, teacher=other_teacher, enrol=False)
    with pytest.raises(NotFound):
        selectors.leave_get(actor=actor, leave_id=leave.pk)
    assert not selectors.leave_list(actor=actor).exists()
    with pytest.raises(PermissionDenied):
        services.leave_decide(actor=actor, leave=leave, approve=True)


def test_given_a_section_teacher_link_without_lessons_then_it_may_decide(day: Any) -> None:
    [leave] = _ask(day, [day.future])
    helper = UserFactory()
    actor = _actor(helper, Role.TEACHER, school=day.school)
    SectionTeacherFactory(section=day.section, user=helper, is_main=False)
    assert selectors.leave_get(actor=actor, leave_id=leave.pk) == leave
    assert selectors.may_decide_leave(actor, leave)


def test_scoping_of_leave_requests_by_role(day: Any) -> None:
    [leave] = _ask(day, [day.future])
    other_child_leave = LeaveRequestFactory(
        student=day.students[1], section=day.section, lessons=[day.future], requested_by=None
    )
    foreign = LeaveRequestFactory(student=day.students[2], section=day.other_section, lessons=[day.other_lesson])
    world = day.world

    def ids(key: str) -> set[int]:
        return set(selectors.leave_list(actor=world.actor(key)).values_list("pk", flat=True))

    assert ids("parent") == {leave.pk}
    assert ids("teacher_a") == {leave.pk, other_child_leave.pk}
    assert ids("school_a") == {leave.pk, other_child_leave.pk}
    assert ids("school_b") == {foreign.pk}
    assert ids("school_a2") == set()
    assert ids("bureau_a") == {leave.pk, other_child_leave.pk}
    assert ids("bureau_b") == {foreign.pk}
    assert ids("org_a") == set()
    with pytest.raises(NotFound):
        selectors.leave_get(actor=world.actor("school_b"), leave_id=leave.pk)
    with pytest.raises(PermissionDenied):
        services.leave_decide(actor=world.actor("bureau_a"), leave=leave, approve=True)


def test_list_filters(day: Any) -> None:
    [leave] = _ask(day, [day.lessons[3]])
    other = LeaveRequestFactory(student=day.students[1], section=day.section, lessons=[day.future], status="approved")
    school = day.world.actor("school_a")

    def ids(**filters: Any) -> list[int]:
        return list(selectors.leave_list(actor=school, filters=filters).values_list("pk", flat=True))

    assert ids(status="pending") == [leave.pk]
    assert ids(date=D(2026, 11, 17)) == [other.pk]
    assert ids(q="学生2") == [other.pk]
    assert ids(section=day.section.pk) == [other.pk, leave.pk]
    assert ids(student=day.child.pk) == [leave.pk]


# --- withdrawal -----------------------------------------------------------------------------------------------


def test_withdraw_only_by_the_family_and_only_while_pending(day: Any) -> None:
    [leave] = _ask(day, [day.future])
    with pytest.raises(PermissionDenied):
        services.leave_withdraw(actor=day.world.actor("teacher_a"), leave=leave)
    with pytest.raises(PermissionDenied):
        services.leave_withdraw(actor=day.world.actor("school_a"), leave=leave)
    done = services.leave_withdraw(actor=day.world.actor("parent"), leave=leave)
    assert done.status == LeaveStatus.WITHDRAWN
    with pytest.raises(Conflict) as refused:
        services.leave_withdraw(actor=day.world.actor("parent"), leave=leave)
    assert refused.value.code == "leave_not_pending"
    with pytest.raises(Conflict):
        services.leave_decide(actor=day.world.actor("teacher_a"), leave=leave, approve=True)
    # Withdrawn, the lesson may be asked for again.
    assert len(_ask(day, [day.future])) == 1


def test_an_approved_request_cannot_be_withdrawn(day: Any) -> None:
    [leave] = _ask(day, [day.future])
    services.leave_decide(actor=day.world.actor("teacher_a"), leave=leave, approve=True)
    with pytest.raises(Conflict):
        services.leave_withdraw(actor=day.world.actor("parent"), leave=leave)


# --- teacher leave ----------------------------------------------------------------------------------------------


def _substitute(day: Any) -> Any:
    user = UserFactory(display_name="李老师")
    StaffFactory(school=day.school, user=user, name="李老师")
    return user


def test_teacher_asks_leave_for_a_lesson_it_teaches_and_the_school_admins_are_told(day: Any) -> None:
    teacher = day.world.actor("teacher_a")
    leave = services.teacher_leave_request(actor=teacher, lesson=day.future, reason="外出培训")
    assert (leave.teacher_id, leave.lesson_id, leave.status) == (day.teacher.pk, day.future.pk, "pending")
    notice = Notification.objects.get(kind="leave")
    assert notice.recipient_id == day.world.users["school_a"].pk
    assert "外出培训" in notice.body and "11月17日 15:40" in notice.body
    with pytest.raises(Conflict) as twice:
        services.teacher_leave_request(actor=teacher, lesson=day.future, reason="外出培训")
    assert twice.value.code == "teacher_leave_pending"


def test_teacher_leave_refusals(day: Any, monkeypatch: Any) -> None:
    teacher = day.world.actor("teacher_a")
    with pytest.raises(NotFound):
        services.teacher_leave_request(actor=teacher, lesson=day.other_lesson, reason="培训")
    with pytest.raises(PermissionDenied):
        services.teacher_leave_request(actor=day.world.actor("school_a"), lesson=day.future, reason="培训")
    with pytest.raises(ValidationFailed) as no_reason:
        services.teacher_leave_request(actor=teacher, lesson=day.future, reason="")
    assert no_reason.value.detail == {"reason": ["请填写请假原因"]}
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 41))
    with pytest.raises(ValidationFailed) as started:
        services.teacher_leave_request(actor=teacher, lesson=day.today, reason="培训")
    assert started.value.message == "11月10日 15:40 的课已开始，不能请假"


def test_teacher_leave_approved_with_a_substitute_changes_the_lessons_teachers(day: Any) -> None:
    leave = services.teacher_leave_request(actor=day.world.actor("teacher_a"), lesson=day.future, reason="外出培训")
    substitute = _substitute(day)
    school = day.world.actor("school_a")
    done = services.teacher_leave_decide(
        actor=school, leave=leave, approve=True, resolution="substitute", substitute=substitute, note="李老师代课"
    )
    assert (done.status, done.resolution, done.substitute_id) == ("approved", "substitute", substitute.pk)
    assert list(day.future.teachers.values_list("pk", flat=True)) == [substitute.pk]
    assert list(day.lessons[3].teachers.values_list("pk", flat=True)) == [day.teacher.pk]
    told = Notification.objects.get(kind="leave", recipient=day.teacher, title="请假已批准")
    assert "由李老师代课" in told.body


def test_teacher_leave_substitute_refused_by_scheduling_shows_on_the_substitute_field(day: Any) -> None:
    leave = services.teacher_leave_request(actor=day.world.actor("teacher_a"), lesson=day.future, reason="外出培训")
    substitute = _substitute(day)
    busy = SectionFactory(school=day.school, term=day.section.term, status="running")
    LessonFactory(section=busy, date=day.future.date, starts_at=T(16, 0), ends_at=T(17, 0), teachers=[substitute])
    school = day.world.actor("school_a")
    with pytest.raises(Conflict) as clash:
        services.teacher_leave_decide(
            actor=school, leave=leave, approve=True, resolution="substitute", substitute=substitute
        )
    assert clash.value.code == "schedule_conflict"
    stranger = UserFactory()
    with pytest.raises(ValidationFailed) as not_ours:
        services.teacher_leave_decide(
            actor=school, leave=leave, approve=True, resolution="substitute", substitute=stranger.pk
        )
    assert list(not_ours.value.detail) == ["substitute"]
    with pytest.raises(ValidationFailed) as missing:
        services.teacher_leave_decide(actor=school, leave=leave, approve=True, resolution="substitute")
    assert missing.value.detail == {"substitute": ["请选择代课教师"]}
    leave.refresh_from_db()
    assert leave.status == "pending"
    assert list(day.future.teachers.values_list("pk", flat=True)) == [day.teacher.pk]


def test_teacher_leave_approved_by_cancelling_the_lesson_tells_the_guardians(day: Any) -> None:
    leave = services.teacher_leave_request(actor=day.world.actor("teacher_a"), lesson=day.future, reason="外出培训")
    services.teacher_leave_decide(
        actor=day.world.actor("school_a"), leave=leave, approve=True, resolution="cancel", note=""
    )
    day.future.refresh_from_db()
    assert (day.future.status, day.future.cancel_reason) == ("cancelled", "任课教师请假")
    leave.refresh_from_db()
    assert (leave.status, leave.resolution) == ("approved", "cancel")
    assert Notification.objects.filter(kind="lesson_changed", recipient=day.world.users["parent"]).exists()
    assert Notification.objects.filter(kind="leave", recipient=day.teacher, body__contains="该课停课").exists()


def test_teacher_leave_decision_rules(day: Any) -> None:
    leave = services.teacher_leave_request(actor=day.world.actor("teacher_a"), lesson=day.future, reason="外出培训")
    with pytest.raises(PermissionDenied):
        services.teacher_leave_decide(actor=day.world.actor("teacher_a"), leave=leave, approve=False, note="不行")
    with pytest.raises(PermissionDenied):
        services.teacher_leave_decide(actor=day.world.actor("school_b"), leave=leave, approve=False, note="不行")
    with pytest.raises(ValidationFailed) as no_reason:
        services.teacher_leave_decide(actor=day.world.actor("school_a"), leave=leave, approve=False)
    assert no_reason.value.detail == {"note": ["请填写驳回原因"]}
    with pytest.raises(ValidationFailed) as no_resolution:
        services.teacher_leave_decide(actor=day.world.actor("school_a"), leave=leave, approve=True)
    assert list(no_resolution.value.detail) == ["resolution"]
    services.teacher_leave_decide(actor=day.world.actor("school_a"), leave=leave, approve=False, note="人手不足")
    told = Notification.objects.get(kind="leave", recipient=day.teacher)
    assert told.title == "请假已驳回" and told.body.endswith("人手不足")
    with pytest.raises(Conflict):
        services.teacher_leave_decide(actor=day.world.actor("school_a"), leave=leave, approve=False, note="再驳回")


def test_teacher_leave_withdraw_only_by_the_teacher_while_pending(day: Any) -> None:
    leave = TeacherLeaveFactory(lesson=day.future, teacher=day.teacher)
    with pytest.raises(PermissionDenied):
        services.teacher_leave_withdraw(actor=day.world.actor("school_a"), leave=leave)
    assert services.teacher_leave_withdraw(actor=day.world.actor("teacher_a"), leave=leave).status == "withdrawn"
    with pytest.raises(Conflict):
        services.teacher_leave_withdraw(actor=day.world.actor("teacher_a"), leave=leave)


def test_teacher_leave_scoping(day: Any) -> None:
    mine = TeacherLeaveFactory(lesson=day.future, teacher=day.teacher)
    foreign_teacher = UserFactory()
    foreign = TeacherLeaveFactory(lesson=day.other_lesson, teacher=foreign_teacher)
    world = day.world

    def ids(key: str) -> set[int]:
        return set(selectors.teacher_leave_list(actor=world.actor(key)).values_list("pk", flat=True))

    assert ids("teacher_a") == {mine.pk}
    assert ids("school_a") == {mine.pk}
    assert ids("school_b") == {foreign.pk}
    assert ids("bureau_a") == {mine.pk}
    assert ids("parent") == set()
    with pytest.raises(NotFound):
        selectors.teacher_leave_get(actor=world.actor("school_b"), leave_id=mine.pk)
    assert TeacherLeave.objects.count() == 2
