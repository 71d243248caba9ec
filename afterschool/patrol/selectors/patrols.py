"""Reads of patrols (巡课, §5.2.3): who patrols, today's task of a school (total, started, patrolled, mine, with the
lessons), a lesson as the patroller sees it (roll, attendance so far, the teachers' check-in), and the school's
patrol records with their filters.

Patrollers are the school's admins and the teachers holding the patrol permission (the staff post 巡课); the
platform may patrol any school. The bureau reads the records of its region (summaries, a school's list, a patrol's
detail) and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from afterschool.accounts.choices import Permission, Role
from afterschool.accounts.models import User
from afterschool.attendance.choices import ATTENDED
from afterschool.attendance.models import StudentAttendance, TeacherCheckin
from afterschool.attendance.selectors.common import lesson_end, lesson_start, roll_students
from afterschool.core import timeutil
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson, Section
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_or_404, get_scoped_or_404, scoped

from ..models import Patrol, PatrolPhoto

MAX_PHOTOS = 9
HEAD_COUNT_SLACK = 10  # a head count may exceed the roll by this many (visitors, students not yet placed)


def may_patrol(actor: Actor) -> bool:
    """The platform, a school admin (its school), or a teacher of the school holding the patrol permission."""
    if actor.is_system_admin:
        return True
    if actor.role == Role.SCHOOL_ADMIN:
        return actor.school_id is not None
    return actor.role == Role.TEACHER and actor.school_id is not None and actor.has_permission(Permission.PATROL)


def may_read_patrols(actor: Actor) -> bool:
    """Patrollers read their school's patrols; the bureau those of its region (read-only)."""
    return may_patrol(actor) or actor.role == Role.BUREAU_ADMIN


def require_patroller(actor: Actor) -> None:
    if not may_patrol(actor):
        raise PermissionDenied("没有巡课权限：巡课由学校管理员或担任“巡课”岗位的教师进行", code="not_patroller")


def school_for(*, actor: Actor, school_id: int | None = None) -> School:
    """The school the actor works on: its own (school staff), or the one named (platform, bureau; scoped)."""
    if actor.role in (Role.SCHOOL_ADMIN, Role.TEACHER) and actor.school_id is not None:
        if school_id is not None and school_id != actor.school_id:
            raise NotFound()
        school_id = actor.school_id
    if school_id is None:
        raise ValidationFailed({"school_id": ["请选择学校"]}, message="请选择学校")
    return get_scoped_or_404(School.objects.all(), actor, pk=school_id)


def school_choices(*, actor: Actor) -> QuerySet[School]:
    """The schools the platform (or the bureau) may pick from, by name."""
    return scoped(School.objects.all(), actor).order_by("name", "pk")[:500]


# --- today's task -------------------------------------------------------------------------------------------------


LESSON_STATES = {"upcoming": "未开始", "running": "进行中", "ended": "已结束"}


@dataclass
class TaskLesson:
    lesson: Lesson
    state: str  # upcoming | running | ended
    patrollers: list[User]
    mine: bool  # the actor patrolled it
    own: bool  # the actor teaches it
    my_patrol_id: int | None = None

    @property
    def state_label(self) -> str:
        return LESSON_STATES[self.state]

    @property
    def started(self) -> bool:
        return self.state != "upcoming"

    @property
    def can_patrol(self) -> bool:
        return self.started and not self.mine and not self.own


@dataclass
class TodayTask:
    school: School
    date: dt.date
    now: dt.datetime
    lessons: list[TaskLesson] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def started(self) -> int:
        return sum(1 for t in self.lessons if t.started)

    @property
    def patrolled(self) -> int:
        return sum(1 for t in self.lessons if t.patrollers)

    @property
    def mine(self) -> int:
        return sum(1 for t in self.lessons if t.mine)


def _state(lesson: Lesson, now: dt.datetime) -> str:
    if now < lesson_start(lesson):
        return "upcoming"
    return "running" if now < lesson_end(lesson) else "ended"


def _lessons_with_relations(queryset: QuerySet[Lesson]) -> QuerySet[Lesson]:
    return queryset.select_related("section", "section__school", "section__course", "venue", "section__venue")


def today_task(*, actor: Actor, school_id: int | None = None) -> TodayTask:
    """§5.2.3 巡课任务: the school's lessons today (not cancelled) in time order, with their state at this minute,
    who has patrolled each, and whether the actor may patrol it now."""
    require_patroller(actor)
    school = school_for(actor=actor, school_id=school_id)
    now = timeutil.local_now()
    visible = scoped(Lesson.objects.all(), actor).values("pk")
    lessons = (
        _lessons_with_relations(Lesson.objects.filter(pk__in=visible))
        .filter(section__school=school, date=now.date())
        .exclude(status=LessonStatus.CANCELLED)
        .prefetch_related(
            "teachers", Prefetch("patrols", queryset=Patrol.objects.select_related("patroller").order_by("created_at"))
        )
        .order_by("starts_at", "ends_at", "section__name", "pk")
    )
    task = TodayTask(school=school, date=now.date(), now=now)
    for lesson in lessons:
        patrols = list(lesson.patrols.all())
        mine = next((p for p in patrols if p.patroller_id == actor.user_id), None)
        task.lessons.append(
            TaskLesson(
                lesson=lesson,
                state=_state(lesson, now),
                patrollers=[p.patroller for p in patrols],
                mine=mine is not None,
                own=any(t.pk == actor.user_id for t in lesson.teachers.all()),
                my_patrol_id=mine.pk if mine is not None else None,
            )
        )
    return task


# --- one lesson, as the patroller sees it -------------------------------------------------------------------------


def lesson_for_patrol(*, actor: Actor, lesson_id: int) -> Lesson:
    """A lesson of the actor's school (any school for the platform) that it may patrol, or NotFound."""
    require_patroller(actor)
    queryset = _lessons_with_relations(Lesson.objects.all()).select_related("chapter").prefetch_related("teachers")
    return get_scoped_or_404(queryset, actor, pk=lesson_id)


def my_patrol_id(*, actor: Actor, lesson: Lesson) -> int | None:
    return Patrol.objects.filter(lesson=lesson, patroller_id=actor.user_id).values_list("pk", flat=True).first()


@dataclass
class TeacherState:
    teacher: User
    checkin: TeacherCheckin | None

    @property
    def label(self) -> str:
        if self.checkin is None:
            return "未签到"
        return "已签退" if self.checkin.checked_out_at else "已签到"


@dataclass
class LessonFacts:
    roll_size: int
    attended: int
    marked: int  # students with any attendance row (present, late, absent, left early, on leave)
    teachers: list[TeacherState]


def roll_size(lesson: Lesson) -> int:
    return roll_students(lesson).count()


def lesson_facts(lesson: Lesson) -> LessonFacts:
    """What the patroller checks on the spot: the roll, how many are marked present so far, the teachers'
    check-in."""
    rows = StudentAttendance.objects.filter(lesson=lesson)
    checkins = {c.teacher_id: c for c in TeacherCheckin.objects.filter(lesson=lesson)}
    teachers = list(lesson.teachers.all())
    return LessonFacts(
        roll_size=roll_size(lesson),
        attended=rows.filter(status__in=ATTENDED).count(),
        marked=rows.count(),
        teachers=[TeacherState(teacher=t, checkin=checkins.get(t.pk)) for t in teachers],
    )


# --- patrol records -----------------------------------------------------------------------------------------------


def _base(actor: Actor) -> QuerySet[Patrol]:
    return scoped(
        Patrol.objects.select_related(
            "lesson", "lesson__section", "lesson__section__school", "lesson__section__course", "lesson__venue",
            "lesson__section__venue", "patroller",
        ),
        actor,
    )  # fmt: skip


def patrol_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Patrol]:
    """The patrols the actor may read, newest first, filtered by lesson date range, school, section, teacher,
    patroller, teacher absent only, and q (section, course, patroller, comment)."""
    if not may_read_patrols(actor):
        return Patrol.objects.none()
    filters = filters or {}
    queryset = _base(actor)
    if filters.get("school"):
        queryset = queryset.filter(lesson__section__school_id=filters["school"])
    if filters.get("date_from"):
        queryset = queryset.filter(lesson__date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(lesson__date__lte=filters["date_to"])
    if filters.get("section"):
        queryset = queryset.filter(lesson__section_id=filters["section"])
    if filters.get("teacher"):
        queryset = queryset.filter(lesson__teachers=filters["teacher"])
    if filters.get("patroller"):
        queryset = queryset.filter(patroller_id=filters["patroller"])
    if filters.get("teacher_absent"):
        queryset = queryset.filter(teacher_present=False)
    if q := (filters.get("q") or "").strip():
        queryset = queryset.filter(
            Q(lesson__section__name__icontains=q)
            | Q(lesson__section__course__name__icontains=q)
            | Q(patroller__display_name__icontains=q)
            | Q(patroller__username__icontains=q)
            | Q(comment__icontains=q)
        )
    return queryset.order_by("-lesson__date", "-lesson__starts_at", "-created_at", "-pk")


def patrol_get(*, actor: Actor, patrol_id: int) -> Patrol:
    if not may_read_patrols(actor):
        raise NotFound()
    queryset = _base(actor).prefetch_related("scores", "photos", "lesson__teachers")
    return get_scoped_or_404(queryset, actor, pk=patrol_id)


def photo_get(*, actor: Actor, patrol_id: int, photo_id: int) -> PatrolPhoto:
    """A photo of a patrol the actor may read (the only way to its file)."""
    patrol = patrol_get(actor=actor, patrol_id=patrol_id)
    return get_or_404(PatrolPhoto.objects.filter(patrol=patrol), pk=photo_id)


def lesson_teachers_of(patrols: list[Patrol]) -> dict[int, list[User]]:
    """lesson id → its teachers, for a page of patrols (one query)."""
    lesson_ids = {p.lesson_id for p in patrols}
    out: dict[int, list[User]] = {i: [] for i in lesson_ids}
    through = Lesson.teachers.through.objects.filter(lesson_id__in=lesson_ids).select_related("user")
    for link in through.order_by("lesson_id", "user_id"):
        out[link.lesson_id].append(link.user)
    return out


def filter_choices(*, actor: Actor, school_id: int | None = None) -> dict[str, list[tuple[int, str]]]:
    """The sections, teachers and patrollers that occur in the actor's patrols (for the list's filters)."""
    patrols = patrol_list(actor=actor, filters={"school": school_id} if school_id else None)
    sections = Section.objects.filter(pk__in=patrols.values("lesson__section_id")).order_by("name", "pk")
    teachers = User.objects.filter(lessons__patrols__in=patrols.values("pk")).distinct().order_by("display_name", "pk")
    patrollers = User.objects.filter(pk__in=patrols.values("patroller_id")).order_by("display_name", "pk")
    return {
        "section": [(s.pk, s.name) for s in sections],
        "teacher": [(u.pk, str(u)) for u in teachers],
        "patroller": [(u.pk, str(u)) for u in patrollers],
    }
