"""Writes of timetables: timetable exports (audited), calendar feeds (课表订阅) created and revoked (audited), the
feed's iCalendar document, its use and its throttle."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, TimezoneStandard

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.crypto import sm3_hexdigest
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.core.export import build_xlsx
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404

from ..choices import LessonStatus
from ..models import CalendarFeed, Lesson
from ..selectors.timetables import (
    FEED_ROLES,
    WEEKDAY_LABELS,
    feed_lessons,
    lesson_chapter_label,
    lesson_group_name,
    lesson_teacher_names,
)

FEED_TOKEN_PREFIX = "cal_"
FEED_FETCHES_PER_HOUR = 120
TIMEZONE_NAME = "Asia/Shanghai"

EXPORT_HEADERS = [
    "日期",
    "星期",
    "开始时间",
    "结束时间",
    "学校",
    "课程",
    "课班",
    "班级/课班",
    "章节",
    "场地",
    "教师",
    "状态",
]


# --- export ----------------------------------------------------------------------------------------------------


def _export_row(lesson: Lesson) -> list[Any]:
    return [
        lesson.date.isoformat(),
        WEEKDAY_LABELS[lesson.date.weekday()],
        f"{lesson.starts_at:%H:%M}",
        f"{lesson.ends_at:%H:%M}",
        lesson.section.school.name,
        lesson.section.course.name,
        lesson.section.name,
        lesson_group_name(lesson),
        lesson_chapter_label(lesson),
        lesson.venue.name if lesson.venue is not None else "",
        lesson_teacher_names(lesson),
        lesson.get_status_display(),
    ]


def timetable_export(*, actor: Actor, lessons: Iterable[Lesson], what: str, detail: dict[str, Any]) -> bytes:
    """The lessons as an xlsx sheet; every export is audited (who, which view, which window and filters)."""
    rows = [_export_row(lesson) for lesson in lessons]
    content = build_xlsx(headers=EXPORT_HEADERS, rows=rows, sheet_title=what)
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": what, "rows": len(rows), **detail})
    return content


def class_timetable_export(*, actor: Actor, school_class: Any, regular: Any, week: Any) -> bytes:
    """A class's week: its regular timetable (常规课) and its after-school lessons (课后服务), one row each; audited."""
    headers = ["类型", "日期", "星期", "节次", "开始时间", "结束时间", "学科/课程", "章节", "场地", "教师", "状态"]
    rows: list[list[Any]] = []
    for row in regular.rows:
        for (weekday, label), cell in zip(regular.weekdays, row.cells, strict=True):
            if cell is None:
                continue
            day = week.start + dt.timedelta(days=weekday - 1)
            teacher = cell.teacher.name if cell.teacher is not None else ""
            rows.append(["常规课", day.isoformat(), label, row.period, f"{cell.starts_at:%H:%M}",
                         f"{cell.ends_at:%H:%M}", cell.subject, "", "", teacher, ""])  # fmt: skip
    for day in week.days:
        for view in day.lessons:
            lesson = view.lesson
            rows.append(["课后服务", lesson.date.isoformat(), day.weekday_label, "", f"{lesson.starts_at:%H:%M}",
                         f"{lesson.ends_at:%H:%M}", f"{lesson.section.course.name}（{view.group}）", view.chapter,
                         lesson.venue.name if lesson.venue is not None else "", view.teachers,
                         lesson.get_status_display()])  # fmt: skip
    rows.sort(key=lambda r: (r[1], r[4]))
    content = build_xlsx(headers=headers, rows=rows, sheet_title="班级课表")
    record_write(
        actor=actor,
        event=AuditEventType.EXPORT,
        obj=school_class,
        detail={"what": "班级课表", "rows": len(rows), "start": week.start.isoformat()},
    )
    return content


# --- calendar feeds --------------------------------------------------------------------------------------------


def _feed_student(actor: Actor, student_id: Any) -> Student | None:
    """Parents: one of their children (another's child answers 404); students: themselves; teachers: none."""
    if actor.has_role(Role.PARENT):
        if student_id in (None, ""):
            raise ValidationFailed({"student": ["请选择孩子"]})
        return get_scoped_or_404(Student.objects.all(), actor, pk=student_id)
    if actor.has_role(Role.STUDENT):
        own = Student.objects.filter(user=actor.user).first()
        if own is None or (student_id not in (None, "") and str(student_id) != str(own.pk)):
            raise NotFound()
        return own
    return None


@transaction.atomic
def calendar_feed_create(*, actor: Actor, student_id: Any = None) -> tuple[CalendarFeed, str]:
    """A new subscription of the actor's lessons (teachers, org teachers) or of one child's (parents; a student its
    own). The raw token is returned once and stored only as its SM3 digest."""
    if actor.user is None or not actor.has_role(*FEED_ROLES):
        raise PermissionDenied("当前角色不能订阅课表")
    student = _feed_student(actor, student_id)
    raw = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=actor.user, student=student, token_digest=sm3_hexdigest(raw.encode()))
    record_write(
        actor=actor,
        event=AuditEventType.CREATE,
        obj=feed,
        detail={"what": "calendar_feed", "student": student.pk if student is not None else None},
    )
    return feed, raw


@transaction.atomic
def calendar_feed_revoke(*, actor: Actor, feed: CalendarFeed) -> CalendarFeed:
    """Only its owner revokes a feed (the selector only hands it its own); revoking twice changes nothing."""
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.user_id != actor.user_id:
        raise PermissionDenied()
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        detail = {"what": "calendar_feed", "revoked": True}
        record_write(actor=actor, event=AuditEventType.UPDATE, obj=feed, detail=detail)
    return feed


def calendar_feed_throttled(feed: CalendarFeed) -> bool:
    """True once a token has fetched more than FEED_FETCHES_PER_HOUR times in the current hour."""
    key = f"scheduling:feed-fetch:{feed.token_digest}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > FEED_FETCHES_PER_HOUR


def calendar_feed_touch(feed: CalendarFeed) -> None:
    """Record the fetch time (not audited: calendar apps poll every few minutes)."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())


def _vtimezone() -> Timezone:
    """Asia/Shanghai: UTC+8 all year, no daylight saving since 1991."""
    tz = Timezone()
    tz.add("tzid", TIMEZONE_NAME)
    standard = TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", dt.timedelta(hours=8))
    standard.add("tzoffsetto", dt.timedelta(hours=8))
    standard.add("tzname", "CST")
    tz.add_component(standard)
    return tz


def calendar_document(*, feed: CalendarFeed, domain: str, today: dt.date | None = None) -> bytes:
    """The feed as an RFC 5545 calendar: one VEVENT per lesson of the window, UID stable per lesson, local times in
    Asia/Shanghai (with its VTIMEZONE), cancelled lessons STATUS:CANCELLED."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(TIMEZONE_NAME)
    name = f"{feed.student.name} 课后服务课表" if feed.student is not None else f"{feed.user} 课后服务课表"
    cal = Calendar()
    cal.add("prodid", "-//afterschool//课后服务平台//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TIMEZONE_NAME)
    cal.add_component(_vtimezone())
    stamp = timezone.now()
    for lesson in feed_lessons(feed=feed, today=today):
        event = Event()
        event.add("uid", f"lesson-{lesson.pk}@{domain}")
        event.add("dtstamp", stamp)
        event.add("last-modified", lesson.updated_at)
        event.add("dtstart", dt.datetime.combine(lesson.date, lesson.starts_at, tzinfo=zone))
        event.add("dtend", dt.datetime.combine(lesson.date, lesson.ends_at, tzinfo=zone))
        event.add("summary", f"{lesson.section.course.name}（{lesson_group_name(lesson)}）")
        if lesson.venue is not None:
            event.add("location", lesson.venue.name)
        lines = [f"课班：{lesson.section.name}", f"第 {lesson.number} 次课"]
        chapter = lesson_chapter_label(lesson)
        if chapter:
            lines.append(f"章节：{chapter}")
        teachers = lesson_teacher_names(lesson)
        if teachers:
            lines.append(f"教师：{teachers}")
        if lesson.status == LessonStatus.CANCELLED:
            lines.append(f"已停课{('：' + lesson.cancel_reason) if lesson.cancel_reason else ''}")
        event.add("description", "\n".join(lines))
        event.add("status", "CANCELLED" if lesson.status == LessonStatus.CANCELLED else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
