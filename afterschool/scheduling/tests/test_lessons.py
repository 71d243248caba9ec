"""Lessons (课次): generation over the term calendar, numbering and chapters, move / cancel (+ make-up) /
substitute with their history, audit and notifications, and the past-lesson rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import UserFactory
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.courses.tests.factories import DispatchFactory, OrgTeacherFactory
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.notifications.models import Notification
from afterschool.scheduling.choices import LessonStatus, SectionEventKind
from afterschool.scheduling.models import Lesson, SectionEvent
from afterschool.scheduling.services import lessons as services
from afterschool.schools.models import CalendarDay
from afterschool.schools.tests.factories import GuardianFactory, StudentFactory, StudentGuardianFactory

from .factories_sections import Sched, set_now, start


@pytest.fixture
def sched(world: Any, monkeypatch: Any) -> Sched:
    return start(world, monkeypatch)


D = dt.date
T = dt.time


def _generate(sched: Sched, **overrides: Any) -> tuple[Any, list[Lesson]]:
    section = sched.create(**overrides)
    lessons = services.lessons_generate(actor=sched.world.actor("school_a"), section=section)
    return section, lessons


def _scheduled(section: Any) -> list[Lesson]:
    return list(section.lessons.filter(status=LessonStatus.SCHEDULED).order_by("date", "starts_at"))


# --- generation ---------------------------------------------------------------------------------------------


def test_given_weekly_slot_when_generating_then_one_lesson_per_tuesday_numbered_with_chapters(sched: Sched) -> None:
    section, lessons = _generate(sched)
    dates = [lesson.date for lesson in lessons]
    assert dates[0] == D(2026, 9, 8) and dates[-1] == D(2026, 10, 27)
    assert all(d.isoweekday() == 2 for d in dates) and len(dates) == 8
    assert [lesson.number for lesson in _scheduled(section)] == list(range(1, 9))
    assert [lesson.chapter.number for lesson in _scheduled(section)] == list(range(1, 9))  # type: ignore[union-attr]
    assert all(set(lesson.teachers.all()) == {sched.teacher} for lesson in lessons)
    assert all(lesson.venue == sched.venue for lesson in lessons)
    event = SectionEvent.objects.get(section=section, kind=SectionEventKind.LESSONS_GENERATED)
    assert event.detail["total"] == 8


def test_given_holiday_no_service_and_makeup_days_when_generating_then_calendar_followed(sched: Sched) -> None:
    CalendarDay.objects.create(term=sched.term, date=D(2026, 9, 29), kind="holiday", note="国庆")
    CalendarDay.objects.create(term=sched.term, date=D(2026, 10, 6), kind="holiday", note="国庆")
    CalendarDay.objects.create(term=sched.term, date=D(2026, 10, 13), kind="no_service", note="运动会")
    # Saturday 10 Oct runs Tuesday's timetable (调休)
    CalendarDay.objects.create(term=sched.term, date=D(2026, 10, 10), kind="makeup", follows_weekday=2)
    _, lessons = _generate(sched)
    dates = [lesson.date for lesson in lessons]
    assert D(2026, 9, 29) not in dates and D(2026, 10, 6) not in dates and D(2026, 10, 13) not in dates
    assert D(2026, 10, 10) in dates
    assert len(dates) == 6


def test_given_more_lessons_than_chapters_when_generating_then_chapter_none_beyond_last(sched: Sched) -> None:
    section, _ = _generate(sched, ends_on=D(2026, 12, 31))
    scheduled = _scheduled(section)
    assert len(scheduled) > 12
    assert scheduled[11].chapter is not None and scheduled[11].chapter.number == 12
    assert all(lesson.chapter is None for lesson in scheduled[12:])


def test_given_section_without_slots_when_generating_then_refused(sched: Sched) -> None:
    section = sched.create(slots=[])
    with pytest.raises(ValidationFailed):
        services.lessons_generate(actor=sched.world.actor("school_a"), section=section)


def test_given_generated_lessons_when_regenerating_then_hand_changed_and_past_kept(
    sched: Sched, monkeypatch: Any
) -> None:
    section, lessons = _generate(sched)
    actor = sched.world.actor("school_a")
    services.lesson_move(actor=actor, lesson=lessons[3], date=D(2026, 10, 1), starts_at=T(15, 40), ends_at=T(16, 40))
    set_now(monkeypatch, dt.datetime(2026, 9, 20, 10, 0))
    again = services.lessons_generate(actor=actor, section=section)
    assert Lesson.objects.filter(pk=lessons[0].pk).exists()  # past: history
    assert Lesson.objects.filter(pk=lessons[3].pk, date=D(2026, 10, 1)).exists()  # moved by hand: kept
    assert D(2026, 9, 29) not in [lesson.date for lesson in again]  # the moved one's original date not re-created
    assert len(_scheduled(section)) == 8


def test_given_other_school_admin_when_generating_then_not_found(sched: Sched) -> None:
    section = sched.create()
    with pytest.raises(NotFound):
        services.lessons_generate(actor=sched.world.actor("school_a2"), section=section)
    with pytest.raises(PermissionDenied):
        services.lessons_generate(actor=sched.world.actor("bureau_a"), section=section)


# --- operations on one lesson --------------------------------------------------------------------------------


def _family(sched: Sched, section: Any) -> Any:
    parent_user = sched.world.users["parent"]
    student = StudentFactory(school_class=sched.class_1)
    StudentGuardianFactory(student=student, guardian=GuardianFactory(user=parent_user))
    EnrollmentFactory(section=section, student=student)
    gone = StudentFactory(school_class=sched.class_1)
    StudentGuardianFactory(student=gone, guardian=GuardianFactory(user=UserFactory()))
    EnrollmentFactory(section=section, student=gone, status="withdrawn")
    return parent_user


def test_given_lesson_when_moving_then_moved_from_recorded_renumbered_and_notified(sched: Sched) -> None:
    section, lessons = _generate(sched)
    parent_user = _family(sched, section)
    lesson = services.lesson_move(
        actor=sched.world.actor("school_a"),
        lesson=lessons[0],
        date=D(2026, 9, 17),
        starts_at=T(16, 0),
        ends_at=T(17, 0),
        reason="教师培训",
    )
    assert (lesson.date, lesson.moved_from_date, lesson.moved_from_starts_at) == (
        D(2026, 9, 17),
        D(2026, 9, 8),
        T(15, 40),
    )
    assert lesson.number == 2 and lesson.chapter.number == 2  # type: ignore[union-attr]
    recipients = set(Notification.objects.filter(kind="lesson_changed").values_list("recipient_id", flat=True))
    assert recipients == {sched.teacher.pk, parent_user.pk}
    assert SectionEvent.objects.filter(section=section, lesson=lesson, kind=SectionEventKind.LESSON_MOVED).exists()
    assert AuditEvent.objects.filter(object_type__icontains="lesson").exists() or AuditEvent.objects.exists()


def test_given_lesson_when_cancelling_without_reason_then_refused(sched: Sched) -> None:
    _, lessons = _generate(sched)
    with pytest.raises(ValidationFailed) as exc:
        services.lesson_cancel(actor=sched.world.actor("school_a"), lesson=lessons[1], reason="  ")
    assert "reason" in exc.value.detail


def test_given_cancellation_when_done_then_chapters_still_follow_in_order(sched: Sched) -> None:
    section, lessons = _generate(sched)
    cancelled, made = services.lesson_cancel(actor=sched.world.actor("school_a"), lesson=lessons[1], reason="暴雨停课")
    assert made is None and cancelled.status == LessonStatus.CANCELLED and cancelled.cancel_reason == "暴雨停课"
    scheduled = _scheduled(section)
    assert len(scheduled) == 7
    assert [lesson.number for lesson in scheduled] == list(range(1, 8))
    assert [lesson.chapter.number for lesson in scheduled] == list(range(1, 8))  # type: ignore[union-attr]
    assert scheduled[1].date == D(2026, 9, 22)  # the lesson after the cancelled one now teaches chapter 2


def test_given_cancellation_with_makeup_when_done_then_makeup_lesson_in_order(sched: Sched) -> None:
    section, lessons = _generate(sched)
    parent_user = _family(sched, section)
    cancelled, made = services.lesson_cancel(
        actor=sched.world.actor("school_a"),
        lesson=lessons[1],
        reason="暴雨停课",
        makeup={"date": D(2026, 9, 18), "starts_at": T(15, 40), "ends_at": T(16, 40), "venue": None},
    )
    assert made is not None and made.is_makeup and made.makeup_for == cancelled
    assert made.number == 2 and made.chapter.number == 2  # type: ignore[union-attr]
    assert set(made.teachers.all()) == {sched.teacher}
    assert [lesson.number for lesson in _scheduled(section)] == list(range(1, 9))
    kinds = set(SectionEvent.objects.filter(section=section).values_list("kind", flat=True))
    assert {SectionEventKind.LESSON_CANCELLED, SectionEventKind.LESSON_MAKEUP} <= kinds
    assert Notification.objects.filter(recipient=parent_user, kind="lesson_changed").count() == 1


def test_given_makeup_at_busy_venue_when_cancelling_then_409_and_nothing_changed(sched: Sched) -> None:
    _, lessons = _generate(sched)
    other = sched.create(
        name="合唱团", teachers=[sched.teacher_2], slots=[{"weekday": 5, "starts_at": T(15, 0), "ends_at": T(16, 0)}]
    )
    services.lessons_generate(actor=sched.world.actor("school_a"), section=other)
    with pytest.raises(Conflict) as exc:
        services.lesson_cancel(
            actor=sched.world.actor("school_a"),
            lesson=lessons[1],
            reason="停电",
            makeup={"date": D(2026, 9, 18), "starts_at": T(15, 40), "ends_at": T(16, 40)},
        )
    assert "场地“美术教室”在 2026-09-18 15:00–16:00 已有课班“合唱团”" in exc.value.detail["conflicts"]
    assert Lesson.objects.get(pk=lessons[1].pk).status == LessonStatus.SCHEDULED


def test_given_staff_substitute_when_substituting_then_teachers_swapped_and_both_notified(sched: Sched) -> None:
    _, lessons = _generate(sched)
    lesson = services.lesson_substitute(
        actor=sched.world.actor("school_a"), lesson=lessons[2], old_teacher=sched.teacher, new_teacher=sched.teacher_2
    )
    assert set(lesson.teachers.all()) == {sched.teacher_2}
    assert set(lessons[3].teachers.all()) == {sched.teacher}
    recipients = set(Notification.objects.values_list("recipient_id", flat=True))
    assert recipients == {sched.teacher.pk, sched.teacher_2.pk}
    assert SectionEvent.objects.filter(kind=SectionEventKind.SUBSTITUTE, lesson=lesson).exists()


def test_given_undispatched_org_teacher_when_substituting_then_refused(sched: Sched) -> None:
    _, lessons = _generate(sched)
    outsider = UserFactory(display_name="外校老师")
    OrgTeacherFactory(organization=sched.world.org_a, user=outsider)
    with pytest.raises(ValidationFailed) as exc:
        services.lesson_substitute(
            actor=sched.world.actor("school_a"), lesson=lessons[2], old_teacher=sched.teacher, new_teacher=outsider
        )
    assert "没有外派到本校" in exc.value.detail["new_teacher"][0]


def test_given_dispatched_org_teacher_busy_elsewhere_when_substituting_then_409(sched: Sched) -> None:
    _, lessons = _generate(sched)
    org_user = UserFactory(display_name="赵老师")
    teacher = OrgTeacherFactory(organization=sched.world.org_a, user=org_user)
    DispatchFactory(teacher=teacher, school=sched.school)
    from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory

    elsewhere = SectionFactory(school=sched.world.school_b, name="机器人")
    LessonFactory(section=elsewhere, date=lessons[2].date, starts_at=T(16, 0), ends_at=T(17, 0), teachers=[org_user])
    with pytest.raises(Conflict) as exc:
        services.lesson_substitute(
            actor=sched.world.actor("school_a"), lesson=lessons[2], old_teacher=sched.teacher, new_teacher=org_user
        )
    assert "教师“赵老师”在 2026-09-22 16:00–17:00 已有课班“机器人”（朝阳实验小学）" in exc.value.message


def test_given_past_lesson_when_moving_or_cancelling_then_refused(sched: Sched, monkeypatch: Any) -> None:
    _, lessons = _generate(sched)
    set_now(monkeypatch, dt.datetime(2026, 9, 10, 9, 0))
    actor = sched.world.actor("school_a")
    with pytest.raises(ValidationFailed):
        services.lesson_move(
            actor=actor, lesson=lessons[0], date=D(2026, 9, 17), starts_at=T(15, 40), ends_at=T(16, 40)
        )
    with pytest.raises(ValidationFailed):
        services.lesson_cancel(actor=actor, lesson=lessons[0], reason="补记")
    with pytest.raises(ValidationFailed):  # nor can a future lesson be moved into the past
        services.lesson_move(actor=actor, lesson=lessons[2], date=D(2026, 9, 9), starts_at=T(15, 40), ends_at=T(16, 40))


def test_given_other_school_admin_when_moving_then_not_found(sched: Sched) -> None:
    _, lessons = _generate(sched)
    with pytest.raises(NotFound):
        services.lesson_move(
            actor=sched.world.actor("school_a2"),
            lesson=lessons[1],
            date=D(2026, 9, 17),
            starts_at=T(15, 40),
            ends_at=T(16, 40),
        )
