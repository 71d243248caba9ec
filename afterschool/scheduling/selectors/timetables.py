"""Reads of timetables (§5.2.1, §5.2.3, §5.3.2, §5.4.3): the lessons of a date window seen by the actor, the week
and month grids built from them, a class's regular timetable beside its after-school lessons, and calendar feeds.

Who sees which lessons (on top of `scoped()`): a school's admins and teachers its school's lessons (the school
timetable), the bureau its region's, an org admin (or org staff with 查看课程) its courses' sections, an org teacher
only the lessons it teaches, parents and students the sections of their children / themselves with an ACTIVE
enrolment. The "my" view of a teacher is the lessons where it is among the lesson's teachers.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from afterschool.accounts.choices import OrgPermission, Role
from afterschool.core.crypto import sm3_hexdigest
from afterschool.core.errors import NotFound, ValidationFailed
from afterschool.core.timeutil import local_today
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.schools.models import Grade, SchoolClass, Student, Term, Venue
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..choices import LessonStatus, SectionMode
from ..models import CalendarFeed, Lesson, Section

MAX_WINDOW_DAYS = 62
FILTER_NAMES = ("school", "term", "grade", "school_class", "teacher", "venue", "course", "section", "student")
TEACHING_ROLES = (Role.TEACHER, Role.ORG_TEACHER)
FEED_ROLES = (Role.TEACHER, Role.ORG_TEACHER, Role.PARENT, Role.STUDENT)
ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


# --- who sees which lessons -------------------------------------------------------------------------------------


def _active_sections_of(user_id: int | None) -> QuerySet[Enrollment]:
    """The sections in which the user's children (or the user as a student) hold an active enrolment."""
    return Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).filter(
        Q(student__user_id=user_id) | Q(student__guardians__user_id=user_id)
    )


def visible_lessons(*, actor: Actor, mine: bool = False) -> QuerySet[Lesson]:
    """Every lesson the actor may see (any date); `mine`: only those it teaches (a teacher's own timetable)."""
    if actor.has_role(Role.ORG_TEACHER) and actor.user_id is not None:
        # An org teacher's own lessons wherever it is dispatched, also sections of a school's own course (which
        # its organization's scope would not reach); nothing else of its organization.
        return Lesson.objects.filter(teachers=actor.user_id)
    qs = scoped(Lesson.objects.all(), actor)
    if not actor.is_system_admin:
        if actor.has_role(Role.ORG_STAFF) and not actor.has_org_permission(OrgPermission.COURSE_VIEW):
            return qs.none()
        elif actor.has_role(Role.PARENT, Role.STUDENT):
            qs = qs.filter(section_id__in=_active_sections_of(actor.user_id).values("section_id"))
    if mine:
        qs = qs.filter(teachers=actor.user_id) if actor.user_id is not None else qs.none()
    return qs


def _int(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed({name: ["请选择有效的值"]}) from None
    if not 0 < number < 2**62:
        raise ValidationFailed({name: ["请选择有效的值"]})
    return number


def clean_filters(filters: dict[str, Any] | None) -> dict[str, int]:
    """The dimension filters as ids ("class" is accepted for "school_class"); a bad id is a 422."""
    filters = dict(filters or {})
    if "class" in filters and not filters.get("school_class"):
        filters["school_class"] = filters["class"]
    cleaned: dict[str, int] = {}
    for name in FILTER_NAMES:
        number = _int(filters.get(name), name)
        if number is not None:
            cleaned[name] = number
    return cleaned


def check_window(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationFailed({"end": ["结束日期不能早于开始日期"]})
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise ValidationFailed({"end": [f"一次最多查询 {MAX_WINDOW_DAYS} 天的课表"]})


def apply_filters(qs: QuerySet[Lesson], filters: dict[str, int]) -> QuerySet[Lesson]:
    if "school" in filters:
        qs = qs.filter(section__school_id=filters["school"])
    if "term" in filters:
        qs = qs.filter(section__term_id=filters["term"])
    if "grade" in filters:
        grade = filters["grade"]
        qs = qs.filter(Q(section__grades=grade) | Q(section__classes__grade=grade))
    if "school_class" in filters:
        # A class's after-school lessons: its 原班 sections and the 走班 sections its students attend.
        school_class = filters["school_class"]
        attended = Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE, student__school_class=school_class)
        qs = qs.filter(Q(section__classes=school_class) | Q(section_id__in=attended.values("section_id")))
    if "teacher" in filters:
        qs = qs.filter(teachers=filters["teacher"])
    if "venue" in filters:
        qs = qs.filter(venue_id=filters["venue"])
    if "course" in filters:
        qs = qs.filter(section__course_id=filters["course"])
    if "section" in filters:
        qs = qs.filter(section_id=filters["section"])
    if "student" in filters:
        enrolled = Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE, student_id=filters["student"])
        qs = qs.filter(section_id__in=enrolled.values("section_id"))
    return qs


def _with_relations(qs: QuerySet[Lesson]) -> QuerySet[Lesson]:
    ids = qs.values("pk")
    return (
        Lesson.objects.filter(pk__in=ids)
        .select_related("section__course", "section__school", "section__term", "venue", "chapter")
        .prefetch_related("teachers", "section__classes__grade")
        .order_by("date", "starts_at", "section__name", "pk")
    )


def lessons_in_window(
    *, actor: Actor, start: dt.date, end: dt.date, filters: dict[str, Any] | None = None, mine: bool = False
) -> QuerySet[Lesson]:
    """The actor's visible lessons from `start` to `end` (both included, at most 62 days), filtered by school,
    term, grade, class, teacher (user id), venue, course, section and student. Cancelled lessons are included."""
    check_window(start, end)
    qs = visible_lessons(actor=actor, mine=mine).filter(date__gte=start, date__lte=end)
    return _with_relations(apply_filters(qs, clean_filters(filters)))


# --- how a lesson reads ----------------------------------------------------------------------------------------


def lesson_group_name(lesson: Lesson) -> str:
    """原班: the class names; 走班: the section name."""
    if lesson.section.mode == SectionMode.CLASS:
        names = [f"{c.grade.name}{c.name}" for c in lesson.section.classes.all()]
        if names:
            return "、".join(names)
    return lesson.section.name


def lesson_chapter_label(lesson: Lesson) -> str:
    chapter = lesson.chapter
    return f"第 {chapter.number} 章 {chapter.title}" if chapter is not None else ""


def lesson_teacher_names(lesson: Lesson) -> str:
    return "、".join(str(u) for u in lesson.teachers.all())


@dataclass
class LessonView:
    """A lesson as a timetable shows it."""

    lesson: Lesson
    group: str
    chapter: str
    teachers: str

    @property
    def cancelled(self) -> bool:
        return self.lesson.status == LessonStatus.CANCELLED

    @property
    def time_label(self) -> str:
        return f"{self.lesson.starts_at:%H:%M}–{self.lesson.ends_at:%H:%M}"


def lesson_views(lessons: Any) -> list[LessonView]:
    return [
        LessonView(
            lesson=lesson,
            group=lesson_group_name(lesson),
            chapter=lesson_chapter_label(lesson),
            teachers=lesson_teacher_names(lesson),
        )
        for lesson in lessons
    ]


# --- week and month grids --------------------------------------------------------------------------------------


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar page of the month: Monday on or before the 1st to Sunday on or after the last day."""
    first = day.replace(day=1)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return week_bounds(first)[0], week_bounds(last)[1]


@dataclass
class Day:
    date: dt.date
    lessons: list[LessonView] = field(default_factory=list)
    in_month: bool = True
    is_today: bool = False

    @property
    def weekday_label(self) -> str:
        return WEEKDAY_LABELS[self.date.weekday()]


@dataclass
class WeekRow:
    starts_at: dt.time
    ends_at: dt.time
    cells: list[list[LessonView]]

    @property
    def time_label(self) -> str:
        return f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


@dataclass
class WeekGrid:
    start: dt.date
    end: dt.date
    days: list[Day]  # every day of the week, with its lessons (the phone's day-by-day list)
    columns: list[Day]  # the days the grid shows: Monday–Friday, and the weekend when it has lessons
    rows: list[WeekRow]


def week_grid(views: list[LessonView], start: dt.date, today: dt.date | None = None) -> WeekGrid:
    """Rows are the time bands the week's lessons use, columns the days."""
    today = today or local_today()
    days = [Day(date=start + dt.timedelta(days=i), is_today=start + dt.timedelta(days=i) == today) for i in range(7)]
    by_date = {d.date: d for d in days}
    for view in views:
        if view.lesson.date in by_date:
            by_date[view.lesson.date].lessons.append(view)
    columns = [d for d in days if d.date.weekday() < 5 or d.lessons]
    bands = sorted({(v.lesson.starts_at, v.lesson.ends_at) for d in columns for v in d.lessons})
    rows = [
        WeekRow(
            starts_at=s,
            ends_at=e,
            cells=[[v for v in d.lessons if (v.lesson.starts_at, v.lesson.ends_at) == (s, e)] for d in columns],
        )
        for s, e in bands
    ]
    return WeekGrid(start=start, end=start + dt.timedelta(days=6), days=days, columns=columns, rows=rows)


@dataclass
class MonthGrid:
    month: dt.date  # the 1st of the month
    start: dt.date
    end: dt.date
    weeks: list[list[Day]]


def month_grid(views: list[LessonView], day: dt.date, today: dt.date | None = None) -> MonthGrid:
    today = today or local_today()
    start, end = month_bounds(day)
    by_date: dict[dt.date, list[LessonView]] = defaultdict(list)
    for view in views:
        by_date[view.lesson.date].append(view)
    weeks: list[list[Day]] = []
    cursor = start
    while cursor <= end:
        week = []
        for _ in range(7):
            lessons = by_date.get(cursor, [])
            week.append(Day(date=cursor, lessons=lessons, in_month=cursor.month == day.month, is_today=cursor == today))
            cursor += dt.timedelta(days=1)
        weeks.append(week)
    return MonthGrid(month=day.replace(day=1), start=start, end=end, weeks=weeks)


# --- the filters a page offers ---------------------------------------------------------------------------------


SCHOOL_DIMENSION_ROLES = (*ADMIN_ROLES, Role.TEACHER, Role.ORG_ADMIN, Role.ORG_STAFF)


def filter_choices(*, actor: Actor, school_id: int | None = None, school_class_id: int | None = None) -> dict[str, Any]:
    """The options of each dimension filter, limited to what the actor sees. Terms, grades, classes, venues and
    students belong to one school: the actor's own, or the one chosen (system, bureau; for an organization one
    where its sections run)."""
    from afterschool.accounts.models import User
    from afterschool.courses.models import Course

    sections = Section.objects.filter(pk__in=visible_lessons(actor=actor).values("section_id"))
    schools: list[School] = []
    if actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN):
        schools = list(scoped(School.objects.all(), actor).order_by("code")[:500])
        allowed = {s.pk for s in schools}
    elif actor.school_id is not None:
        allowed = {actor.school_id}
    else:
        allowed = set(sections.values_list("school_id", flat=True).distinct())
    school: int | None
    if school_id in allowed:
        school = school_id
    elif actor.school_id in allowed:
        school = actor.school_id
    else:
        school = next(iter(allowed)) if len(allowed) == 1 else None
    if not (actor.is_system_admin or actor.has_role(*SCHOOL_DIMENSION_ROLES)):
        school = None
    in_school = Q(school_id=school) if school is not None else Q(pk__in=[])
    if school is not None:
        sections = sections.filter(school_id=school)
    choices: dict[str, Any] = {"schools": [(s.pk, s.name) for s in schools], "school": school}
    choices["terms"] = [(t.pk, str(t)) for t in Term.objects.filter(in_school).order_by("-starts_on")]
    choices["grades"] = [(g.pk, g.name) for g in Grade.objects.filter(in_school).order_by("level")]
    choices["classes"] = [
        (c.pk, f"{c.grade.name}{c.name}")
        for c in SchoolClass.objects.filter(in_school).select_related("grade").order_by("grade__level", "name")
    ]
    choices["venues"] = [(v.pk, v.name) for v in Venue.objects.filter(in_school).order_by("name")]
    courses = Course.objects.filter(sections__in=sections).distinct().order_by("name")[:500]
    choices["courses"] = [(c.pk, c.name) for c in courses]
    teachers = User.objects.filter(lessons__section__in=sections).distinct().order_by("username")[:500]
    choices["teachers"] = [(u.pk, str(u)) for u in teachers]
    students: list[tuple[int, str]] = []
    if school is not None and (actor.is_system_admin or actor.has_role(*ADMIN_ROLES)):
        qs = scoped(Student.objects.filter(school_id=school, is_active=True), actor).select_related(
            "school_class__grade"
        )
        if school_class_id:
            qs = qs.filter(school_class_id=school_class_id)
        qs = qs.order_by("school_class__grade__level", "school_class__name", "name")[:500]
        students = [(s.pk, f"{s.school_class.grade.name}{s.school_class.name} {s.name}") for s in qs]
    choices["students"] = students
    return choices


def children_of(*, actor: Actor) -> list[Student]:
    """A parent's children (or a student's own record): whose timetable and feeds it may see."""
    if actor.user_id is None:
        return []
    if actor.has_role(Role.PARENT):
        children = scoped(Student.objects.all(), actor).select_related("school", "school_class__grade")
        return list(children.order_by("name"))
    if actor.has_role(Role.STUDENT):
        return list(Student.objects.filter(user_id=actor.user_id).select_related("school", "school_class__grade"))
    return []


# --- a class's regular timetable beside its after-school lessons -----------------------------------------------


def class_week(*, actor: Actor, school_class: SchoolClass, start: dt.date) -> tuple[Any, WeekGrid]:
    """(the class's regular timetable grid, its after-school lessons of the week). The class must be readable by the
    actor (schools.selectors.timetable.timetable_class_get)."""
    from afterschool.schools.selectors.timetable import timetable_grid

    regular = timetable_grid(actor=actor, school_class=school_class)
    lessons = lessons_in_window(
        actor=actor, start=start, end=start + dt.timedelta(days=6), filters={"school_class": school_class.pk}
    )
    return regular, week_grid(lesson_views(lessons), start)


# --- calendar feeds --------------------------------------------------------------------------------------------


def calendar_feed_list(*, actor: Actor) -> QuerySet[CalendarFeed]:
    return scoped(CalendarFeed.objects.select_related("student"), actor).order_by("-created_at", "-pk")


def calendar_feed_get(*, actor: Actor, feed_id: Any) -> CalendarFeed:
    return get_scoped_or_404(CalendarFeed.objects.select_related("student", "user"), actor, pk=feed_id)


def calendar_feed_by_token(token: str) -> CalendarFeed:
    """The live feed of a raw token: not revoked, its user active and, for a child's feed, still its guardian (or
    the student itself). Anything else is NotFound."""
    if not token or len(token) > 128:
        raise NotFound()
    feed = (
        CalendarFeed.objects.select_related("user", "student")
        .filter(token_digest=sm3_hexdigest(token.encode()), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is None:
        raise NotFound()
    if feed.student_id is not None:
        related = Student.objects.filter(pk=feed.student_id).filter(
            Q(user_id=feed.user_id) | Q(guardians__user_id=feed.user_id)
        )
        if not related.exists():
            raise NotFound()
    return feed


def feed_window(*, school_ids: list[int], today: dt.date) -> tuple[dt.date, dt.date]:
    """From 30 days ago to the end of the current and the next term of the schools concerned (half a year ahead
    when no term is known)."""
    end = today + dt.timedelta(days=183)
    terms = Term.objects.filter(school_id__in=school_ids, ends_on__gte=today).order_by("school_id", "starts_on")
    per_school: dict[int, int] = defaultdict(int)
    ends: list[dt.date] = []
    for term in terms:
        if per_school[term.school_id] < 2:
            per_school[term.school_id] += 1
            ends.append(term.ends_on)
    if ends:
        end = max(ends)
    return today - dt.timedelta(days=30), end


def feed_lessons(*, feed: CalendarFeed, today: dt.date | None = None) -> QuerySet[Lesson]:
    """A teacher's feed: the lessons it teaches; a child's feed: the lessons of its active enrolments."""
    today = today or local_today()
    if feed.student_id is not None:
        enrolled = Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE, student_id=feed.student_id)
        qs = Lesson.objects.filter(section_id__in=enrolled.values("section_id"))
        assert feed.student is not None
        school_ids = [feed.student.school_id]
    else:
        qs = Lesson.objects.filter(teachers=feed.user_id)
        school_ids = list(qs.filter(date__gte=today).values_list("section__school_id", flat=True).distinct())
    start, end = feed_window(school_ids=school_ids, today=today)
    return _with_relations(qs.filter(date__gte=start, date__lte=end))
