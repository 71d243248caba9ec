"""Reads of student attendance (§5.3.2, §5.4.4): when a lesson's roll may be taken, a teacher's lessons of the day
with how far each roll is, one lesson's roll, and a child's lessons with their attendance for the parent's view.

Who: teachers and organization teachers see the lessons they teach (`taught_lessons`), school admins every lesson
of their school (`lessons_for_attendance`); parents their own children, students themselves. Nothing is cached: the
parent's view is current to the minute.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from afterschool.accounts.choices import Role
from afterschool.core import timeutil
from afterschool.core.errors import NotFound
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson, Section
from afterschool.scheduling.selectors.timetables import lesson_chapter_label as chapter_label
from afterschool.scheduling.selectors.timetables import lesson_teacher_names as teacher_names
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import scoped

from ..choices import ATTENDED, AttendanceStatus
from ..models import AttendanceSettings, StudentAttendance, TeacherCheckin
from .common import (
    TEACHING_ROLES,
    lesson_end,
    lesson_for_attendance,
    lesson_start,
    lessons_for_attendance,
    may_manage_school,
    roll_students,
    settings_for,
    taught_lessons,
)

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
UPCOMING_DAYS = 7
STATUS_BUTTONS = [(s.value, s.label) for s in AttendanceStatus]
ENDED_ENROLLMENTS = (
    EnrollmentStatus.WITHDRAWN,
    EnrollmentStatus.REMOVED,
    EnrollmentStatus.MOVED,
    EnrollmentStatus.CANCELLED,
)


def local_time(value: dt.datetime | None) -> str:
    """A stored (aware) timestamp as the school's wall-clock HH:MM."""
    return timezone.localtime(value).strftime("%H:%M") if value is not None else ""


def wall_label(when: dt.datetime, *, today: dt.date) -> str:
    """HH:MM for a time today, "11月17日 15:25" otherwise."""
    return f"{when:%H:%M}" if when.date() == today else f"{when.month}月{when.day}日 {when:%H:%M}"


def venue_name(lesson: Lesson) -> str:
    venue = lesson.venue or lesson.section.venue
    return venue.name if venue is not None else ""


# --- the marking window ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollWindow:
    """When a lesson's roll may be taken: from `opens` (start − checkin_opens_minutes) to the end it is normal
    marking, then a correction (audited, flagged) until `deadline` (end + correction_hours). Wall-clock times."""

    opens: dt.datetime
    end: dt.datetime
    deadline: dt.datetime
    now: dt.datetime

    @property
    def phase(self) -> str:
        if self.now < self.opens:
            return "before"
        if self.now <= self.end:
            return "open"
        if self.now <= self.deadline:
            return "correction"
        return "closed"

    @property
    def writable(self) -> bool:
        return self.phase in ("open", "correction")

    @property
    def is_correction(self) -> bool:
        return self.phase == "correction"

    @property
    def opens_label(self) -> str:
        return wall_label(self.opens, today=self.now.date())

    @property
    def deadline_label(self) -> str:
        """Always with the date: a deadline is read a day later too."""
        return f"{self.deadline.month}月{self.deadline.day}日 {self.deadline:%H:%M}"

    @property
    def notice(self) -> str:
        """What the roll page tells the teacher about the window."""
        return {
            "before": f"课次尚未开始，{self.opens_label} 起可点名",
            "open": "",
            "correction": f"课次已结束，{self.deadline_label} 前可更正考勤（更正会留痕）",
            "closed": f"课后更正期限已过（截至 {self.deadline_label}），考勤不可再修改",
        }[self.phase]


def roll_window(
    lesson: Lesson, settings: AttendanceSettings | None = None, now: dt.datetime | None = None
) -> RollWindow:
    settings = settings or settings_for(lesson.section.school_id)
    end = lesson_end(lesson)
    return RollWindow(
        opens=lesson_start(lesson) - dt.timedelta(minutes=settings.checkin_opens_minutes),
        end=end,
        deadline=end + dt.timedelta(hours=settings.correction_hours),
        now=now or timeutil.local_now(),
    )


# --- a lesson's roll ------------------------------------------------------------------------------------------


@dataclass
class RollRow:
    student: Student
    attendance: StudentAttendance | None

    @property
    def status(self) -> str:
        return self.attendance.status if self.attendance is not None else ""

    @property
    def status_label(self) -> str:
        return AttendanceStatus(self.status).label if self.status else "未点名"

    @property
    def class_name(self) -> str:
        return f"{self.student.grade.name}{self.student.school_class.name}"

    @property
    def checked_in(self) -> str:
        return local_time(self.attendance.checked_in_at) if self.attendance is not None else ""

    @property
    def checked_out(self) -> str:
        return local_time(self.attendance.checked_out_at) if self.attendance is not None else ""

    @property
    def on_leave(self) -> bool:
        return self.attendance is not None and self.attendance.leave_id is not None


@dataclass
class RollCounts:
    total: int
    marked: int
    by_status: dict[str, int]
    checked_out: int

    @property
    def attended(self) -> int:
        return sum(self.by_status.get(s, 0) for s in ATTENDED)

    @property
    def unmarked(self) -> int:
        return self.total - self.marked

    @property
    def progress(self) -> str:
        return f"已点名 {self.marked}/{self.total}"

    @property
    def parts(self) -> list[tuple[str, int]]:
        return [(s.label, self.by_status[s.value]) for s in AttendanceStatus if self.by_status.get(s.value)]


def roll_rows(lesson: Lesson) -> list[RollRow]:
    """One row per student on the lesson's roll, with its attendance row if it was marked (or covered by leave)."""
    rows = {row.student_id: row for row in StudentAttendance.objects.filter(lesson_id=lesson.pk)}
    return [RollRow(student=student, attendance=rows.get(student.pk)) for student in roll_students(lesson)]


def roll_counts(rows: list[RollRow]) -> RollCounts:
    by_status = Counter(r.status for r in rows if r.status)
    checked_out = sum(1 for r in rows if r.attendance is not None and r.attendance.checked_out_at is not None)
    return RollCounts(
        total=len(rows), marked=sum(by_status.values()), by_status=dict(by_status), checked_out=checked_out
    )


def roll_lesson(*, actor: Actor, lesson_id: Any) -> Lesson:
    """A lesson whose roll the actor may take (its teacher, its school's admin), with what its header shows; a
    cancelled lesson, another teacher's or another school's is NotFound."""
    lesson = lesson_for_attendance(actor, lesson_id)
    return _with_relations(Lesson.objects.filter(pk=lesson.pk)).get()


# --- lesson cards (a teacher's day, a school's day) ---------------------------------------------------------


@dataclass
class LessonCard:
    lesson: Lesson
    total: int
    marked: int
    classes: str
    checkin: str  # 未签到 / 已签到 15:32 / 已签退 16:41, or for admins 教师签到 1/2
    checked_in: bool
    state: str  # 未开始 / 进行中 / 已结束 / 已停课

    @property
    def progress(self) -> str:
        return f"已点名 {self.marked}/{self.total}"

    @property
    def cancelled(self) -> bool:
        return self.lesson.status == LessonStatus.CANCELLED

    @property
    def chapter(self) -> str:
        return chapter_label(self.lesson)

    @property
    def teachers(self) -> str:
        return teacher_names(self.lesson)

    @property
    def venue(self) -> str:
        return venue_name(self.lesson)

    @property
    def time_label(self) -> str:
        return f"{self.lesson.starts_at:%H:%M}–{self.lesson.ends_at:%H:%M}"

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.lesson.date.weekday()]


def _state(lesson: Lesson, now: dt.datetime) -> str:
    if lesson.status == LessonStatus.CANCELLED:
        return "已停课"
    if now < lesson_start(lesson):
        return "未开始"
    return "进行中" if now <= lesson_end(lesson) else "已结束"


def _class_label(grade_name: str, class_name: str) -> str:
    return f"{grade_name}{class_name}"


def lesson_cards(*, actor: Actor, lessons: list[Lesson]) -> list[LessonCard]:
    """Cards for lessons: roll size and progress, the classes of the students, the teachers' check-in."""
    if not lessons:
        return []
    now = timeutil.local_now()
    section_ids = {lesson.section_id for lesson in lessons}
    lesson_ids = [lesson.pk for lesson in lessons]
    active: dict[int, set[int]] = defaultdict(set)
    classes: dict[int, set[str]] = defaultdict(set)
    placed = Enrollment.objects.filter(section_id__in=section_ids, status=EnrollmentStatus.ACTIVE).values_list(
        "section_id", "student_id", "student__grade__name", "student__school_class__name"
    )
    for section_id, student_id, grade_name, class_name in placed:
        active[section_id].add(student_id)
        classes[section_id].add(_class_label(grade_name, class_name))
    marked_of: dict[int, set[int]] = defaultdict(set)
    for lesson_id, student_id in StudentAttendance.objects.filter(lesson_id__in=lesson_ids).values_list(
        "lesson_id", "student_id"
    ):
        marked_of[lesson_id].add(student_id)
    checkins: dict[int, list[TeacherCheckin]] = defaultdict(list)
    for found in TeacherCheckin.objects.filter(lesson_id__in=lesson_ids):
        checkins[found.lesson_id].append(found)
    teaching = actor.role in TEACHING_ROLES
    cards = []
    for lesson in lessons:
        marked = marked_of[lesson.pk]
        total = len(active[lesson.section_id] | marked)
        section_classes = [_class_label(c.grade.name, c.name) for c in lesson.section.classes.all()]
        names = section_classes or sorted(classes[lesson.section_id])
        class_text = "、".join(names[:4]) + (f" 等 {len(names)} 个班" if len(names) > 4 else "")
        if teaching:
            own = next((c for c in checkins[lesson.pk] if c.teacher_id == actor.user_id), None)
            if own is None:
                checkin, checked_in = "未签到", False
            elif own.checked_out_at is not None:
                checkin, checked_in = f"已签退 {local_time(own.checked_out_at)}", True
            else:
                checkin, checked_in = f"已签到 {local_time(own.checked_in_at)}", True
        else:
            count = len({c.teacher_id for c in checkins[lesson.pk]})
            teachers = len(lesson.teachers.all())
            checkin, checked_in = f"教师签到 {count}/{teachers}", count > 0
        card = LessonCard(
            lesson=lesson, total=total, marked=len(marked), classes=class_text, checkin=checkin,
            checked_in=checked_in, state=_state(lesson, now),
        )  # fmt: skip
        cards.append(card)
    return cards


def _with_relations(qs: QuerySet[Lesson]) -> QuerySet[Lesson]:
    return qs.select_related(
        "section", "section__school", "section__course", "section__venue", "venue", "chapter"
    ).prefetch_related("teachers", "section__classes__grade")


def may_see_days(actor: Actor) -> bool:
    return actor.role in TEACHING_ROLES or may_manage_school(actor)


def day_lessons(*, actor: Actor, day: dt.date) -> list[Lesson]:
    """A teacher's lessons of the day (all it teaches), or a school admin's school's lessons of the day."""
    if actor.role in TEACHING_ROLES:
        qs = taught_lessons(actor)
    elif may_manage_school(actor):
        qs = lessons_for_attendance(actor)
    else:
        return []
    return list(_with_relations(qs.filter(date=day)).order_by("starts_at", "ends_at", "section__name", "pk")[:500])


def upcoming_lessons(*, actor: Actor, after: dt.date, days: int = UPCOMING_DAYS) -> list[Lesson]:
    """The lessons a teacher teaches in the `days` days after `after`."""
    if actor.role not in TEACHING_ROLES:
        return []
    qs = taught_lessons(actor).filter(date__gt=after, date__lte=after + dt.timedelta(days=days))
    return list(_with_relations(qs).order_by("date", "starts_at", "pk")[:200])


# --- the parent's view ------------------------------------------------------------------------------------------


def may_see_children(actor: Actor) -> bool:
    return actor.role in (Role.PARENT, Role.STUDENT)


def children(*, actor: Actor) -> list[Student]:
    """A parent's children (through its guardianships), a student's own record; nobody else's."""
    if actor.user_id is None:
        return []
    if actor.role == Role.PARENT:
        qs = scoped(Student.objects.all(), actor)
    elif actor.role == Role.STUDENT:
        qs = Student.objects.filter(user_id=actor.user_id)
    else:
        return []
    return list(qs.select_related("school", "grade", "school_class").order_by("name", "pk"))


def child_get(*, actor: Actor, student_id: Any) -> Student:
    """One of the actor's children (or itself); another family's child is NotFound."""
    for child in children(actor=actor):
        if str(child.pk) == str(student_id):
            return child
    raise NotFound()


@dataclass
class ChildLesson:
    lesson: Lesson
    attendance: StudentAttendance | None
    now: dt.datetime

    @property
    def cancelled(self) -> bool:
        return self.lesson.status == LessonStatus.CANCELLED

    @property
    def started(self) -> bool:
        return lesson_start(self.lesson) <= self.now

    @property
    def ended(self) -> bool:
        return lesson_end(self.lesson) <= self.now

    @property
    def today(self) -> bool:
        return self.lesson.date == self.now.date()

    @property
    def status(self) -> str:
        """A status code: an AttendanceStatus value, or unmarked / upcoming / cancelled."""
        if self.cancelled:
            return "cancelled"
        if self.attendance is not None:
            return self.attendance.status
        return "unmarked" if self.started else "upcoming"

    @property
    def status_label(self) -> str:
        extra = {"cancelled": "已停课", "unmarked": "未点名", "upcoming": "待上课"}
        return extra.get(self.status) or AttendanceStatus(self.status).label

    @property
    def checked_in(self) -> str:
        return local_time(self.attendance.checked_in_at) if self.attendance is not None else ""

    @property
    def checked_out(self) -> str:
        return local_time(self.attendance.checked_out_at) if self.attendance is not None else ""

    @property
    def chapter(self) -> str:
        return chapter_label(self.lesson)

    @property
    def teachers(self) -> str:
        return teacher_names(self.lesson)

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.lesson.date.weekday()]

    @property
    def time_label(self) -> str:
        return f"{self.lesson.starts_at:%H:%M}–{self.lesson.ends_at:%H:%M}"


@dataclass
class ChildCourse:
    """One enrolled section of a child with every lesson and the summary line."""

    section: Section
    enrollment_status: str
    lessons: list[ChildLesson] = field(default_factory=list)

    @property
    def course_name(self) -> str:
        return self.section.course.name

    @property
    def ended_label(self) -> str:
        if self.enrollment_status != EnrollmentStatus.ACTIVE:
            return EnrollmentStatus(self.enrollment_status).label
        return self.section.get_status_display() if self.section.status != "running" else ""

    @property
    def held(self) -> int:
        return sum(1 for item in self.lessons if item.started and not item.cancelled)

    @property
    def current(self) -> ChildLesson | None:
        """The lesson a parent looks for first: the one under way or the next to come (not cancelled). A long
        course's list runs in date order, so the page marks this one and offers a jump to it."""
        return next((item for item in self.lessons if not item.cancelled and not item.ended), None)

    @property
    def attended(self) -> int:
        return sum(1 for item in self.lessons if item.status in ATTENDED)

    @property
    def counts(self) -> list[tuple[str, int]]:
        found = Counter(item.status for item in self.lessons)
        shown = (AttendanceStatus.LATE, AttendanceStatus.ABSENT, AttendanceStatus.LEFT_EARLY, AttendanceStatus.LEAVE)
        return [(status.label, found[status.value]) for status in shown if found[status.value]]

    @property
    def summary(self) -> str:
        text = f"出勤 {self.attended} / 已上 {self.held}"
        extra = " · ".join(f"{label} {n}" for label, n in self.counts)
        return f"{text} · {extra}" if extra else text


def _current_term(section: Section, today: dt.date) -> bool:
    return section.term.starts_on <= today <= section.term.ends_on


def child_enrollments(*, student: Student, today: dt.date) -> list[Enrollment]:
    """The sections shown for a child: its active places (their sections still running or open, or of the current
    term), and places that ended (withdrawn, moved, removed, cancelled) in sections of the current term."""
    qs = (
        Enrollment.objects.filter(student_id=student.pk)
        .filter(status__in=[EnrollmentStatus.ACTIVE, *ENDED_ENROLLMENTS])
        .select_related("section", "section__term", "section__course", "section__school")
        .order_by("section__starts_on", "section_id", "-pk")
    )
    chosen: dict[int, Enrollment] = {}
    for enrollment in qs:
        section = enrollment.section
        active = enrollment.status == EnrollmentStatus.ACTIVE
        finished = section.status in ("finished", "cancelled")
        if not (_current_term(section, today) or (active and not finished)):
            continue
        kept = chosen.get(section.pk)
        # One entry per section: the active place, else the latest that ended (left and came back: active wins).
        if kept is None or (active and kept.status != EnrollmentStatus.ACTIVE):
            chosen[section.pk] = enrollment
    return list(chosen.values())


def child_courses(
    *, student: Student, section_id: int | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> list[ChildCourse]:
    """Per shown section, every lesson (past and future, cancelled too) with the child's attendance status."""
    now = timeutil.local_now()
    enrollments = child_enrollments(student=student, today=now.date())
    if section_id is not None:
        enrollments = [e for e in enrollments if e.section_id == section_id]
    if not enrollments:
        return []
    rows = {
        row.lesson_id: row
        for row in StudentAttendance.objects.filter(
            student_id=student.pk, lesson__section_id__in=[e.section_id for e in enrollments]
        )
    }
    lessons = Lesson.objects.filter(section_id__in=[e.section_id for e in enrollments])
    if start is not None:
        lessons = lessons.filter(date__gte=start)
    if end is not None:
        lessons = lessons.filter(date__lte=end)
    by_section: dict[int, list[Lesson]] = defaultdict(list)
    for lesson in _with_relations(lessons).order_by("date", "starts_at", "pk"):
        by_section[lesson.section_id].append(lesson)
    courses = []
    for enrollment in enrollments:
        course = ChildCourse(section=enrollment.section, enrollment_status=enrollment.status)
        left_on = timezone.localtime(enrollment.ended_at).date() if enrollment.ended_at is not None else None
        for lesson in by_section[enrollment.section_id]:
            row = rows.get(lesson.pk)
            gone = left_on is None or lesson.date > left_on
            if enrollment.status != EnrollmentStatus.ACTIVE and row is None and gone:
                continue  # after leaving the section its later lessons are no longer the child's
            course.lessons.append(ChildLesson(lesson=lesson, attendance=row, now=now))
        courses.append(course)
    return courses


def child_lessons(
    *, student: Student, section_id: int | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> list[ChildLesson]:
    """The same lessons as one list by date (the API)."""
    items = [item for course in child_courses(student=student, section_id=section_id, start=start, end=end)
             for item in course.lessons]  # fmt: skip
    return sorted(items, key=lambda item: (item.lesson.date, item.lesson.starts_at, item.lesson.pk))
