"""Student attendance services (点名): who may mark, when (the marking and correction windows), the times kept per
status, the roll, check-out, the audit and the guardians' notices."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.models import StudentAttendance
from afterschool.attendance.selectors import roll as selectors
from afterschool.attendance.services import roll as services
from afterschool.attendance.tests.factories import (
    AttendanceSettingsFactory,
    LeaveRequestFactory,
    StudentAttendanceFactory,
    freeze,
    make_day,
)
from afterschool.core.errors import Conflict, NotFound, ValidationFailed
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.notifications.models import Notification
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory
from afterschool.schools.tests.factories import StudentFactory
from afterschool.tenancy.actor import Actor

DURING = dt.datetime(2026, 11, 10, 15, 45)


def at(when: dt.datetime) -> dt.datetime:
    return timezone.make_aware(when, timezone.get_default_timezone())


@pytest.fixture
def day(world: Any) -> Any:
    return make_day(world)


def mark(day: Any, actor_key: str, *marks: tuple[Any, str], lesson: Any = None) -> services.RollResult:
    return services.attendance_mark(
        actor=day.world.actor(actor_key),
        lesson=lesson or day.today,
        marks=[{"student_id": s.pk, "status": status} for s, status in marks],
    )


def row(day: Any, student: Any, lesson: Any = None) -> StudentAttendance:
    return StudentAttendance.objects.get(lesson=lesson or day.today, student=student)


def other_teacher(day: Any) -> Any:
    """A teacher of school_a who teaches another section (not day.section)."""
    user = UserFactory(username="teacher_other")
    MembershipFactory(user=user, role="teacher", school=day.school)
    section = SectionFactory(school=day.school, term=day.section.term, status="running")
    LessonFactory(section=section, date=dt.date(2026, 11, 10), teachers=[user])
    return user


# --- the window -------------------------------------------------------------------------------------------------


def test_given_before_the_roll_opens_when_marking_then_refused_naming_the_opening_time(day, monkeypatch):
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 24))
    with pytest.raises(Conflict) as exc:
        mark(day, "teacher_a", (day.child, "present"))
    assert exc.value.code == "roll_not_open"
    assert exc.value.message == "课次尚未开始，15:25 起可点名"
    assert not StudentAttendance.objects.exists()


def test_given_a_lesson_of_another_day_when_marking_early_then_the_date_is_named(day, monkeypatch):
    freeze(monkeypatch, DURING)
    with pytest.raises(Conflict) as exc:
        mark(day, "teacher_a", (day.child, "present"), lesson=day.future)
    assert exc.value.message == "课次尚未开始，11月17日 15:25 起可点名"


def test_given_the_opening_minute_when_marking_then_accepted_as_normal_marking(day, monkeypatch):
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 25))
    result = mark(day, "teacher_a", (day.child, "present"))
    assert result.correction is False
    saved = row(day, day.child)
    assert saved.status == "present" and saved.corrected is False
    assert saved.marked_by == day.teacher


def test_given_the_settings_opening_time_when_marking_then_it_is_the_schools(day, monkeypatch):
    AttendanceSettingsFactory(school=day.school, checkin_opens_minutes=5)
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 15, 30))
    with pytest.raises(Conflict) as exc:
        mark(day, "teacher_a", (day.child, "present"))
    assert "15:35 起可点名" in exc.value.message


def test_given_the_lesson_ended_when_correcting_within_the_window_then_flagged_and_audited(day, monkeypatch):
    freeze(monkeypatch, DURING)
    mark(day, "teacher_a", (day.child, "present"), (day.students[1], "absent"))
    freeze(monkeypatch, dt.datetime(2026, 11, 12, 16, 40))  # end + 48 h exactly
    before = AuditEvent.objects.count()
    result = mark(day, "teacher_a", (day.students[1], "late"), (day.child, "present"))
    assert result.correction is True
    corrected = row(day, day.students[1])
    assert corrected.status == "late" and corrected.corrected is True
    assert row(day, day.child).corrected is False  # unchanged: same status again
    assert AuditEvent.objects.count() == before + 1
    audit = AuditEvent.objects.order_by("-pk").first()
    assert audit.detail["correction"] is True
    assert audit.detail["changes"] == [
        {"student": day.students[1].pk, "name": day.students[1].name, "from": "absent", "to": "late"}
    ]


def test_given_the_correction_window_passed_when_marking_then_refused_naming_the_deadline(day, monkeypatch):
    freeze(monkeypatch, dt.datetime(2026, 11, 12, 16, 41))
    with pytest.raises(Conflict) as exc:
        mark(day, "teacher_a", (day.child, "present"))
    assert exc.value.code == "correction_closed"
    assert "11月12日 16:40" in exc.value.message
    with pytest.raises(Conflict):
        services.attendance_check_out(actor=day.world.actor("teacher_a"), lesson=day.today)


def test_given_a_shorter_correction_window_when_correcting_late_then_refused(day, monkeypatch):
    AttendanceSettingsFactory(school=day.school, correction_hours=2)
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 18, 41))
    with pytest.raises(Conflict) as exc:
        mark(day, "teacher_a", (day.child, "present"))
    assert exc.value.message == "课后更正期限已过（截至 11月10日 18:40），考勤不可再修改"


def test_roll_window_phases(day):
    lesson = day.today
    phases = [
        selectors.roll_window(lesson, now=dt.datetime(2026, 11, 10, h, m)).phase
        for h, m in ((15, 24), (15, 25), (16, 40), (16, 41))
    ]
    assert phases == ["before", "open", "open", "correction"]
    assert selectors.roll_window(lesson, now=dt.datetime(2026, 11, 12, 16, 41)).phase == "closed"


# --- times per status -------------------------------------------------------------------------------------------


def test_given_each_status_when_marked_then_the_times_follow(day, monkeypatch):
    freeze(monkeypatch, DURING)
    s1, s2, s3 = day.students
    mark(day, "teacher_a", (s1, "present"), (s2, "late"), (s3, "left_early"))
    assert row(day, s1).checked_in_at == at(DURING) and row(day, s1).checked_out_at is None
    assert row(day, s2).checked_in_at == at(DURING) and row(day, s2).checked_out_at is None
    assert row(day, s3).checked_in_at == at(DURING) and row(day, s3).checked_out_at == at(DURING)

    later = dt.datetime(2026, 11, 10, 16, 5)
    freeze(monkeypatch, later)
    mark(day, "teacher_a", (s1, "late"), (s2, "left_early"))
    assert row(day, s1).checked_in_at == at(DURING)  # kept: already set
    assert row(day, s2).checked_in_at == at(DURING) and row(day, s2).checked_out_at == at(later)

    mark(day, "teacher_a", (s1, "absent"), (s2, "leave"))
    for student in (s1, s2):
        assert row(day, student).checked_in_at is None and row(day, student).checked_out_at is None

    freeze(monkeypatch, dt.datetime(2026, 11, 10, 16, 10))
    mark(day, "teacher_a", (s1, "present"))
    assert row(day, s1).checked_in_at == at(dt.datetime(2026, 11, 10, 16, 10))


def test_given_a_correction_after_the_lesson_when_marked_present_then_check_in_is_at_most_the_end(day, monkeypatch):
    freeze(monkeypatch, dt.datetime(2026, 11, 11, 9, 0))
    mark(day, "teacher_a", (day.child, "present"))
    assert row(day, day.child).checked_in_at == at(dt.datetime(2026, 11, 10, 16, 40))
    assert row(day, day.child).corrected is True


def test_given_a_note_when_marked_then_kept_and_an_unchanged_note_is_not_rewritten(day, monkeypatch):
    freeze(monkeypatch, DURING)
    services.attendance_mark(
        actor=day.world.actor("teacher_a"),
        lesson=day.today,
        marks=[{"student_id": day.child.pk, "status": "late", "note": "堵车"}],
    )
    assert row(day, day.child).note == "堵车"
    result = services.attendance_mark(
        actor=day.world.actor("teacher_a"),
        lesson=day.today,
        marks=[{"student_id": day.child.pk, "status": "late", "note": "堵车"}],
    )
    assert result.changes == []


# --- who and which students -------------------------------------------------------------------------------------


def test_given_a_student_not_on_the_roll_when_marking_then_refused_and_nothing_written(day, monkeypatch):
    freeze(monkeypatch, DURING)
    stranger = StudentFactory(school_class=day.school_class)
    with pytest.raises(ValidationFailed) as exc:
        mark(day, "teacher_a", (day.child, "present"), (stranger, "present"))
    assert stranger.name in exc.value.detail["student_id"][0]
    assert not StudentAttendance.objects.exists()


def test_given_another_schools_student_when_marking_then_refused_without_its_name(day, monkeypatch):
    freeze(monkeypatch, DURING)
    outsider = EnrollmentFactory(section=day.other_section).student
    with pytest.raises(ValidationFailed) as exc:
        mark(day, "teacher_a", (outsider, "present"))
    assert outsider.name not in exc.value.detail["student_id"][0]


def test_given_malformed_marks_when_marking_then_chinese_field_errors(day, monkeypatch):
    freeze(monkeypatch, DURING)
    actor = day.world.actor("teacher_a")
    with pytest.raises(ValidationFailed) as exc:
        services.attendance_mark(actor=actor, lesson=day.today, marks=[{"student_id": day.child.pk, "status": "x"}])
    assert "考勤状态" in exc.value.detail["marks"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.attendance_mark(
            actor=actor,
            lesson=day.today,
            marks=[{"student_id": day.child.pk, "status": "present"}, {"student_id": day.child.pk, "status": "late"}],
        )
    assert "重复" in exc.value.detail["marks"][0]
    with pytest.raises(ValidationFailed):
        services.attendance_mark(actor=actor, lesson=day.today, marks=[])
    with pytest.raises(ValidationFailed):
        services.attendance_mark(actor=actor, lesson=day.today, marks=[{"student_id": 2**70, "status": "present"}])


def test_given_an_org_teacher_of_the_lesson_when_marking_then_accepted(day, monkeypatch):
    freeze(monkeypatch, DURING)
    org_teacher = day.world.users["orgteacher_a"]
    day.today.teachers.add(org_teacher)
    mark(day, "orgteacher_a", (day.child, "present"))
    assert row(day, day.child).marked_by == org_teacher
    with pytest.raises(NotFound):  # not a teacher of the next lesson
        freeze(monkeypatch, dt.datetime(2026, 11, 17, 15, 45))
        mark(day, "orgteacher_a", (day.child, "present"), lesson=day.future)


def test_given_a_teacher_of_another_section_when_marking_then_not_found(day, monkeypatch):
    freeze(monkeypatch, DURING)
    user = other_teacher(day)
    actor = Actor(user=user, membership=user.memberships.get())
    with pytest.raises(NotFound):
        services.attendance_mark(
            actor=actor, lesson=day.today, marks=[{"student_id": day.child.pk, "status": "present"}]
        )
    with pytest.raises(NotFound):
        services.attendance_check_out(actor=actor, lesson=day.today)


@pytest.mark.parametrize("key", ["school_b", "school_a2", "parent", "bureau_a", "org_a", "student"])
def test_given_anyone_but_the_teacher_or_its_school_when_marking_then_not_found(day, monkeypatch, key):
    freeze(monkeypatch, DURING)
    with pytest.raises(NotFound):
        mark(day, key, (day.child, "present"))


def test_given_the_school_admin_when_marking_then_accepted(day, monkeypatch):
    freeze(monkeypatch, DURING)
    mark(day, "school_a", (day.child, "absent"))
    assert row(day, day.child).marked_by == day.world.users["school_a"]


def test_given_a_cancelled_lesson_when_marking_then_not_found(day, monkeypatch):
    freeze(monkeypatch, DURING)
    day.today.status = "cancelled"
    day.today.save(update_fields=["status"])
    with pytest.raises(NotFound):
        mark(day, "teacher_a", (day.child, "present"))


# --- the roll, leave, bulk, check-out ----------------------------------------------------------------------------


def test_given_an_approved_leave_when_the_roll_is_read_then_the_student_shows_leave(day, monkeypatch):
    freeze(monkeypatch, DURING)
    leave = LeaveRequestFactory(student=day.child, section=day.section, status="approved", lessons=[day.today])
    StudentAttendanceFactory(lesson=day.today, student=day.child, status="leave", leave=leave)
    rows = selectors.roll_rows(day.today)
    first = rows[0]
    assert (first.student.name, first.status_label, first.on_leave) == (day.child.name, "请假", True)
    counts = selectors.roll_counts(rows)
    assert (counts.total, counts.marked, counts.progress) == (3, 1, "已点名 1/3")

    result = services.attendance_mark_unmarked(actor=day.world.actor("teacher_a"), lesson=day.today)
    assert sorted(c["student"] for c in result.changes) == sorted(s.pk for s in day.students[1:])
    assert row(day, day.child).status == "leave"  # the leave is not overwritten
    with pytest.raises(Conflict) as exc:
        services.attendance_mark_unmarked(actor=day.world.actor("teacher_a"), lesson=day.today)
    assert exc.value.code == "nothing_to_mark"

    mark(day, "teacher_a", (day.child, "present"))  # came after all
    assert row(day, day.child).leave is None


def test_given_a_student_moved_out_with_a_row_when_the_roll_is_read_then_still_listed(day, monkeypatch):
    freeze(monkeypatch, DURING)
    mark(day, "teacher_a", (day.students[2], "present"))
    day.students[2].enrollments.update(status="moved")
    assert day.students[2] in [r.student for r in selectors.roll_rows(day.today)]
    assert day.students[2] not in [r.student for r in selectors.roll_rows(day.future)]


def test_given_attended_students_when_checking_out_then_only_they_get_a_time(day, monkeypatch):
    freeze(monkeypatch, DURING)
    s1, s2, s3 = day.students
    mark(day, "teacher_a", (s1, "present"), (s2, "absent"), (s3, "late"))
    end = dt.datetime(2026, 11, 10, 16, 42)
    freeze(monkeypatch, end)
    with pytest.raises(ValidationFailed) as exc:
        services.attendance_check_out(actor=day.world.actor("teacher_a"), lesson=day.today, student_ids=[s2.pk])
    assert s2.name in exc.value.detail["student_ids"][0]
    result = services.attendance_check_out(actor=day.world.actor("teacher_a"), lesson=day.today, student_ids=[s1.pk])
    assert [r.student_id for r in result.rows] == [s1.pk]
    result = services.attendance_check_out(actor=day.world.actor("teacher_a"), lesson=day.today)
    assert [r.student_id for r in result.rows] == [s3.pk]
    assert row(day, s1).checked_out_at == at(end) and row(day, s3).checked_out_at == at(end)
    assert row(day, s2).checked_out_at is None
    again = services.attendance_check_out(actor=day.world.actor("teacher_a"), lesson=day.today)
    assert again.rows == []


# --- audit and notices -----------------------------------------------------------------------------------------


def test_given_a_bulk_mark_when_saved_then_one_audit_row_lists_every_change(day, monkeypatch):
    freeze(monkeypatch, DURING)
    before = AuditEvent.objects.count()
    mark(day, "teacher_a", *[(s, "present") for s in day.students])
    assert AuditEvent.objects.count() == before + 1
    audit = AuditEvent.objects.order_by("-pk").first()
    assert audit.event == "update" and audit.object_id == str(day.today.pk)
    assert audit.username == "teacher_a"
    assert [(c["student"], c["from"], c["to"]) for c in audit.detail["changes"]] == [
        (s.pk, None, "present") for s in day.students
    ]


def _notices(user: Any) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, kind="attendance").order_by("pk").values_list("title", flat=True)
    )


def test_given_guardians_when_checked_in_and_out_then_told_once(day, monkeypatch):
    parent = day.world.users["parent"]
    course = day.section.course.name
    freeze(monkeypatch, DURING)
    mark(day, "teacher_a", (day.child, "present"))
    assert _notices(parent) == [f"{day.child.name} 已签到 · {course} 15:45"]
    notice = Notification.objects.get(recipient=parent)
    assert notice.link == f"/attendance/children/{day.child.pk}/"

    mark(day, "teacher_a", (day.child, "present"))  # the same status again
    mark(day, "teacher_a", (day.child, "late"))  # already checked in
    assert len(_notices(parent)) == 1

    freeze(monkeypatch, dt.datetime(2026, 11, 10, 16, 41))
    services.attendance_check_out(actor=day.world.actor("teacher_a"), lesson=day.today)
    services.attendance_check_out(actor=day.world.actor("teacher_a"), lesson=day.today)
    assert _notices(parent)[1:] == [f"{day.child.name} 已签退 · {course} 16:41"]

    # another student's guardians only hear of their own child
    others = {g.user_id for g in day.students[1].guardians.all()} - {None}
    assert not Notification.objects.filter(recipient_id__in=others).exists()


def test_given_an_absence_when_marked_then_the_guardian_is_told_once(day, monkeypatch):
    parent = day.world.users["parent"]
    freeze(monkeypatch, DURING)
    mark(day, "teacher_a", (day.child, "absent"))
    mark(day, "teacher_a", (day.child, "absent"))
    assert _notices(parent) == [f"{day.child.name} 缺勤 · {day.section.course.name} 15:40"]
    mark(day, "teacher_a", (day.child, "present"))  # arrived after all
    assert _notices(parent)[-1].startswith(f"{day.child.name} 已签到")


def test_given_notices_turned_off_when_marked_then_nobody_is_told(day, monkeypatch):
    AttendanceSettingsFactory(school=day.school, notify_guardians=False)
    freeze(monkeypatch, DURING)
    mark(day, "teacher_a", (day.child, "present"), (day.students[1], "absent"))
    assert not Notification.objects.filter(kind="attendance").exists()


def test_given_a_left_early_mark_when_saved_then_the_guardian_hears_check_in_and_out(day, monkeypatch):
    freeze(monkeypatch, DURING)
    mark(day, "teacher_a", (day.child, "left_early"))
    titles = _notices(day.world.users["parent"])
    assert [t.split(" ")[1] for t in titles] == ["已签到", "已签退"]
