"""Reads of teachers' check-ins (教师签到): the panel on a lesson's page, a teacher's own check-ins, and the
school's (the bureau's: its region's) list with the lessons that ended without a check-in.

Teachers read their own rows (`teacher` is the person: a substitute who left the lesson still sees its row);
school admins their school's, the bureau its region's, organization admins those of their courses, all through
`scoped()`. The lessons a teacher may check in to are `taught_lessons()`: another school's lesson, or one the
actor does not teach, is NotFound.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from afterschool.accounts.choices import Role
from afterschool.accounts.models import User
from afterschool.core import timeutil
from afterschool.core.errors import NotFound
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson, Section
from afterschool.schools.models import Staff
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import get_or_404, scoped

from ..models import TeacherCheckin
from .common import TEACHING_ROLES, settings_for, taught_lessons
from .geofence import area_or_none

CHECKIN_READERS = (Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN, Role.SYSTEM_ADMIN, Role.ORG_ADMIN)
LESSON_RELATED = ("section", "section__school", "section__course", "chapter", "venue", "section__venue")

LessonTeacher = Lesson.teachers.through


def may_read_checkins(actor: Actor) -> bool:
    """School admins, the bureau, organization admins and system admins read others' check-ins."""
    return actor.is_system_admin or actor.has_role(*CHECKIN_READERS)


def is_teaching_role(actor: Actor) -> bool:
    return actor.role in TEACHING_ROLES


def checkin_lesson(actor: Actor, lesson_id: Any) -> Lesson:
    """A lesson the actor teaches (cancelled ones too: the service refuses those with a reason); NotFound for
    every other lesson, including another school's."""
    return get_or_404(taught_lessons(actor).select_related(*LESSON_RELATED), pk=lesson_id)


def checkin_page_lesson(actor: Actor, lesson_id: Any) -> Lesson:
    """The lesson of the standalone check-in page: one the actor teaches, or one of its scope for readers."""
    if is_teaching_role(actor):
        return checkin_lesson(actor, lesson_id)
    if not may_read_checkins(actor):
        raise NotFound()
    return get_or_404(scoped(Lesson.objects.select_related(*LESSON_RELATED), actor), pk=lesson_id)


def own_checkin(actor: Actor, lesson: Lesson) -> TeacherCheckin | None:
    if actor.user_id is None:
        return None
    return TeacherCheckin.objects.filter(lesson=lesson, teacher_id=actor.user_id).first()


def _hm(moment: dt.datetime | None) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%H:%M") if moment is not None else ""


def checkin_panel(actor: Actor, lesson: Lesson) -> dict[str, Any]:
    """Everything the check-in panel of a lesson shows: whether the actor teaches it, its check-in, the windows
    (open or not, with times), the area, and the one button to show (签到 / 签退 / none)."""
    from ..services.checkin import checkin_window, checkout_window

    settings = settings_for(lesson.section.school_id)
    now = timeutil.local_now()
    minute = now.replace(second=0, microsecond=0)
    in_window, out_window = checkin_window(lesson, settings), checkout_window(lesson, settings)
    teaches = is_teaching_role(actor) and taught_lessons(actor).filter(pk=lesson.pk).exists()
    row = own_checkin(actor, lesson) if teaches else None
    area = area_or_none(lesson)
    cancelled = lesson.status == LessonStatus.CANCELLED
    panel: dict[str, Any] = {
        "lesson": lesson, "dom_id": f"checkin-panel-{lesson.pk}", "teaches": teaches, "row": row,
        "cancelled": cancelled, "area": area, "area_missing": area is None,
        "area_label": area.label if area else "", "radius_m": area.radius_m if area else None,
        "checkin_window": in_window.text(), "checkout_window": out_window.text(),
        "checkin_open": in_window.contains(now), "checkout_open": out_window.contains(now),
        "max_accuracy_m": settings.max_accuracy_m, "now": now, "action": None, "action_label": "",
        "action_url": "", "window_open": False, "state": "", "hint": "",
        "checked_in_at": _hm(row.checked_in_at) if row else "",
        "checked_out_at": _hm(row.checked_out_at) if row else "",
        "teacher_rows": [], "error": "", "success": "",
    }  # fmt: skip
    if not teaches:
        panel["teacher_rows"] = lesson_teacher_rows(lesson) if may_read_checkins(actor) else []
        panel["state"] = "本课已停课" if cancelled else ""
        return panel
    if cancelled:
        panel["state"] = "本次课已停课，无需签到签退"
    elif row is None:
        if minute > in_window.closes:
            panel["state"] = f"签到时间（{in_window.text()}）已过，未签到"
        else:
            _offer(
                panel,
                "checkin",
                "签到",
                in_window.contains(now),
                f"签到时间 {in_window.text()}",
                minute < in_window.opens,
            )
    elif row.checked_out_at is None:
        panel["state"] = f"已签到 {panel['checked_in_at']}（距签到点 {row.in_distance_m} 米）"
        if minute > out_window.closes:
            panel["state"] += f"；签退时间（{out_window.text()}）已过，未签退"
        else:
            _offer(
                panel,
                "checkout",
                "签退",
                out_window.contains(now),
                f"签退时间 {out_window.text()}",
                minute < out_window.opens,
            )
    else:
        panel["state"] = f"已签到 {panel['checked_in_at']} · 已签退 {panel['checked_out_at']}"
    if panel["action"] and area is None:
        panel["action"] = None
        panel["hint"] = "学校尚未设置签到范围，暂不能签到，请联系学校管理员"
    return panel


def _offer(panel: dict[str, Any], action: str, label: str, is_open: bool, window: str, early: bool) -> None:
    lesson = panel["lesson"]
    panel["action"] = action
    panel["action_label"] = label
    panel["action_url"] = reverse(f"attendance:{action}", args=[lesson.pk])
    panel["window_open"] = is_open
    panel["hint"] = f"{window}，{'尚未开始' if early else '现在可以' + label}"


def lesson_teacher_rows(lesson: Lesson) -> list[tuple[User, TeacherCheckin | None]]:
    """Each teacher of the lesson with its check-in (or None), for the school's view of the panel."""
    rows = {r.teacher_id: r for r in TeacherCheckin.objects.filter(lesson=lesson)}
    teachers = list(lesson.teachers.all().order_by("pk"))
    out: list[tuple[User, TeacherCheckin | None]] = [(t, rows.pop(t.pk, None)) for t in teachers]
    for leftover in rows.values():  # a teacher replaced after checking in
        out.append((leftover.teacher, leftover))
    return out


# --- lists --------------------------------------------------------------------------------------------------------


def _teacher_search(q: str, path: str) -> Q:
    staff = Staff.objects.filter(user_id=OuterRef(f"{path}_id"), name__icontains=q)
    return Q(**{f"{path}__display_name__icontains": q}) | Q(**{f"{path}__username__icontains": q}) | Q(Exists(staff))


def checkin_list(actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[TeacherCheckin]:
    """Check-in rows: a teacher's own, or those of the reader's scope. Filters: date_from, date_to (lesson date),
    teacher, section, school (ids), flagged (poor accuracy at check-in or out), q (teacher's name)."""
    filters = filters or {}
    if is_teaching_role(actor) and actor.user_id is not None:
        qs = TeacherCheckin.objects.filter(teacher_id=actor.user_id)
    elif may_read_checkins(actor):
        qs = scoped(TeacherCheckin.objects.all(), actor)
    else:
        return TeacherCheckin.objects.none()
    qs = qs.select_related("lesson", "lesson__section", "lesson__section__school", "lesson__section__course", "teacher")
    qs = _lesson_filters(qs, filters, "lesson", "teacher")
    if filters.get("flagged"):
        qs = qs.filter(Q(in_flagged=True) | Q(out_flagged=True))
    return qs.order_by("-lesson__date", "-lesson__starts_at", "-checked_in_at", "-pk")


def _lesson_filters(qs: QuerySet[Any], filters: dict[str, Any], lesson: str, teacher: str) -> QuerySet[Any]:
    if filters.get("date_from"):
        qs = qs.filter(**{f"{lesson}__date__gte": filters["date_from"]})
    if filters.get("date_to"):
        qs = qs.filter(**{f"{lesson}__date__lte": filters["date_to"]})
    if filters.get("teacher"):
        qs = qs.filter(**{f"{teacher}_id": filters["teacher"]})
    if filters.get("section"):
        qs = qs.filter(**{f"{lesson}__section_id": filters["section"]})
    if filters.get("school"):
        qs = qs.filter(**{f"{lesson}__section__school_id": filters["school"]})
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(_teacher_search(q, teacher))
    return qs


def missing_checkins(actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Any]:
    """(lesson, teacher) pairs of lessons already over, not cancelled, without that teacher's check-in: a
    teacher's own, or those of the reader's scope. Same filters as checkin_list (flagged does not apply)."""
    filters = filters or {}
    if is_teaching_role(actor) and actor.user_id is not None:
        qs = LessonTeacher.objects.filter(user_id=actor.user_id, lesson__in=taught_lessons(actor))
    elif may_read_checkins(actor):
        qs = LessonTeacher.objects.filter(lesson__in=scoped(Lesson.objects.all(), actor).values("pk"))
    else:
        return LessonTeacher.objects.none()
    now = timeutil.local_now()
    over = Q(lesson__date__lt=now.date()) | Q(lesson__date=now.date(), lesson__ends_at__lte=now.time())
    done = TeacherCheckin.objects.filter(lesson_id=OuterRef("lesson_id"), teacher_id=OuterRef("user_id"))
    qs = qs.filter(over).exclude(lesson__status=LessonStatus.CANCELLED).exclude(Exists(done))
    qs = qs.select_related("lesson", "lesson__section", "lesson__section__school", "lesson__section__course", "user")
    qs = _lesson_filters(qs, filters, "lesson", "user")
    return qs.order_by("-lesson__date", "-lesson__starts_at", "-pk")


def my_lessons(actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Lesson]:
    """The teacher's own lessons (not cancelled) in a date range, newest first, for 我的签到."""
    filters = filters or {}
    qs = taught_lessons(actor).exclude(status=LessonStatus.CANCELLED).select_related(*LESSON_RELATED)
    if filters.get("date_from"):
        qs = qs.filter(date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(date__lte=filters["date_to"])
    if filters.get("section"):
        qs = qs.filter(section_id=filters["section"])
    return qs.order_by("-date", "-starts_at", "-pk")


def own_checkins_by_lesson(actor: Actor, lessons: list[Lesson]) -> dict[int, TeacherCheckin]:
    rows = TeacherCheckin.objects.filter(teacher_id=actor.user_id, lesson__in=[lesson.pk for lesson in lessons])
    return {row.lesson_id: row for row in rows}


def lesson_over(lesson: Lesson, now: dt.datetime | None = None) -> bool:
    now = now or timeutil.local_now()
    return dt.datetime.combine(lesson.date, lesson.ends_at) <= now


def list_schools(actor: Actor) -> QuerySet[School]:
    """The schools a reader may pick in the list's school filter (the bureau's region, system admins all)."""
    if not may_read_checkins(actor):
        return School.objects.none()
    return scoped(School.objects.all(), actor).order_by("code")


def list_teachers(actor: Actor, school_id: int | None) -> QuerySet[User]:
    """Teachers of the school's lessons (those the reader may see), for the teacher filter."""
    if school_id is None or not may_read_checkins(actor):
        return User.objects.none()
    lessons = scoped(Lesson.objects.filter(section__school_id=school_id), actor).values("pk")
    return User.objects.filter(lessons__in=lessons).distinct().order_by("display_name", "username")


def list_sections(actor: Actor, school_id: int | None) -> QuerySet[Section]:
    """The sections for the section filter: a teacher's own; a reader's of the chosen school."""
    if is_teaching_role(actor):
        return Section.objects.filter(lessons__in=taught_lessons(actor).values("pk")).distinct().order_by("name")
    if school_id is None or not may_read_checkins(actor):
        return Section.objects.none()
    return scoped(Section.objects.filter(school_id=school_id), actor).order_by("-term__starts_on", "name")
