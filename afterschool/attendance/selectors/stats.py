"""Attendance statistics (考勤统计 and the check-in data of 巡课统计, §5.2.4.2): students' attendance grouped by
student, section, class, grade, school or date, with rates; teachers' check-ins per teacher; and per lesson the
roll counts, each teacher's check-in and check-out, and the patrols.

Everything counts the lessons *held* in the date range: not cancelled and already started. A lesson's roll is the
students placed in its section (active enrolments) plus those who have a row for it (moved out since): a placed
student without a row is 未点名. Every figure comes from a few grouped aggregate queries (their number does not
grow with the students or lessons): rows by status, placed (enrolment × lesson) pairs, and lessons held.

School admins see their school, bureau admins their region, the platform everything; teachers see their own
lessons on the roll pages, not here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Min,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from afterschool.accounts.choices import Role
from afterschool.accounts.models import RoleMembership, User
from afterschool.core import timeutil
from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.patrol.models import Patrol
from afterschool.scheduling.choices import LessonStatus, SectionStatus
from afterschool.scheduling.models import Lesson, Section
from afterschool.schools.models import Grade, SchoolClass, Student, Term
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import scoped

from ..choices import AttendanceStatus, LeaveStatus
from ..models import StudentAttendance, TeacherCheckin, TeacherLeave
from .common import aware, lesson_start

READERS = (Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN, Role.SYSTEM_ADMIN)
REGION_READERS = (Role.BUREAU_ADMIN, Role.SYSTEM_ADMIN)
DEFAULT_DAYS = 30

GROUPS: dict[str, str] = {
    "student": "学生", "section": "课班", "class": "班级", "grade": "年级", "school": "学校", "date": "日期",
}  # fmt: skip

# Output name → attendance status counted under it.
STATUS_FIELDS: dict[str, str] = {
    "present": AttendanceStatus.PRESENT,
    "late": AttendanceStatus.LATE,
    "left_early": AttendanceStatus.LEFT_EARLY,
    "absent": AttendanceStatus.ABSENT,
    "leave": AttendanceStatus.LEAVE,
}


def may_read(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(*READERS)


def require_reader(actor: Actor) -> None:
    if not may_read(actor):
        raise PermissionDenied("只有学校管理员和教育局可以查看考勤统计")


def sees_schools(actor: Actor) -> bool:
    """Bureau and platform: several schools, so a school filter and the by-school grouping."""
    return actor.is_system_admin or actor.has_role(*REGION_READERS)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with one decimal (half up); None when there is nothing to divide by."""
    if denominator <= 0:
        return None
    return (Decimal(numerator * 100) / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- the date range and the lessons held ---------------------------------------------------------------------


def default_start(*, actor: Actor, school: int | None = None) -> dt.date:
    """The start of the current term (of the chosen school, or the earliest of the actor's schools); 30 days ago
    when no term is running."""
    today = timeutil.local_now().date()
    terms = scoped(Term.objects.filter(starts_on__lte=today, ends_on__gte=today), actor)
    if school:
        terms = terms.filter(school_id=school)
    start = terms.aggregate(start=Min("starts_on"))["start"]
    return start or today - dt.timedelta(days=DEFAULT_DAYS)


def with_range(*, actor: Actor, filters: dict[str, Any] | None) -> dict[str, Any]:
    """The filters with date_from and date_to filled in: the current term so far by default (ending today)."""
    filters = dict(filters or {})
    today = timeutil.local_now().date()
    end = filters.get("date_to") or today
    start = filters.get("date_from")
    if start is None:
        start = default_start(actor=actor, school=filters.get("school"))
        if start > end:
            start = end - dt.timedelta(days=min(DEFAULT_DAYS, (end - dt.date.min).days))
    if start > end:
        raise ValidationFailed({"date_to": ["结束日期不能早于开始日期"]})
    filters["date_from"], filters["date_to"] = start, end
    return filters


def _until(now: dt.datetime, field_name: str, prefix: str = "") -> Q:
    """Lessons whose `field_name` (starts_at / ends_at) wall-clock time has come."""
    return Q(**{f"{prefix}date__lt": now.date()}) | Q(
        **{f"{prefix}date": now.date(), f"{prefix}{field_name}__lte": now.time()}
    )


def lessons_in_range(*, actor: Actor, filters: dict[str, Any]) -> QuerySet[Lesson]:
    """The actor's lessons dated in the range (filters after with_range), of the chosen school and section."""
    visible = scoped(Lesson.objects.all(), actor).values("pk")
    qs = Lesson.objects.filter(pk__in=visible, date__gte=filters["date_from"], date__lte=filters["date_to"])
    if filters.get("school"):
        qs = qs.filter(section__school_id=filters["school"])
    if filters.get("section"):
        qs = qs.filter(section_id=filters["section"])
    return qs


def lessons_held(*, actor: Actor, filters: dict[str, Any]) -> QuerySet[Lesson]:
    """Those not cancelled and already started."""
    now = timeutil.local_now()
    return lessons_in_range(actor=actor, filters=filters).filter(
        _until(now, "starts_at"), status=LessonStatus.SCHEDULED
    )


# --- students -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grouping:
    """What a row of the student statistics is. `level`: whether its key hangs from the student or from the lesson;
    `key`: the path to it from that Student / Lesson; `model` and `labels`: the names shown (paths from the model);
    `order`: the labels the rows are sorted by."""

    level: str
    key: str
    model: type[Model] | None
    labels: dict[str, str]
    order: tuple[str, ...]


GROUPINGS: dict[str, _Grouping] = {
    "student": _Grouping(
        "student", "id", Student,
        {"name": "name", "class_name": "school_class__name", "grade_name": "grade__name", "level": "grade__level",
         "school_name": "school__name"},
        ("school_name", "level", "class_name", "name", "key"),
    ),
    "class": _Grouping(
        "student", "school_class_id", SchoolClass,
        {"class_name": "name", "grade_name": "grade__name", "level": "grade__level", "school_name": "school__name"},
        ("school_name", "level", "class_name", "key"),
    ),
    "grade": _Grouping(
        "student", "grade_id", Grade, {"grade_name": "name", "level": "level", "school_name": "school__name"},
        ("school_name", "level", "key"),
    ),
    "section": _Grouping(
        "lesson", "section_id", Section,
        {"section_name": "name", "course_name": "course__name", "school_name": "school__name"},
        ("school_name", "section_name", "key"),
    ),
    "school": _Grouping("lesson", "section__school_id", School, {"school_name": "name"}, ("school_name", "key")),
    "date": _Grouping("lesson", "date", None, {}, ("key",)),
}  # fmt: skip


def _key(grouping: _Grouping, base: str) -> str:
    """The group's key as seen from an attendance row ("row"), an enrolment joined to its section's lessons
    ("placed") or a lesson ("lesson")."""
    path = grouping.key
    if grouping.level == "student":
        return f"student__{path}"
    if base == "row":
        return f"lesson__{path}"
    if base == "placed":
        # The enrolment's section is the lesson's: no need to go through the lesson for it.
        return path if path.startswith("section") else f"section__lessons__{path}"
    return path


def _student_q(filters: dict[str, Any], prefix: str = "student__") -> Q:
    q = Q()
    if filters.get("grade"):
        q &= Q(**{f"{prefix}grade_id": filters["grade"]})
    if filters.get("school_class"):
        q &= Q(**{f"{prefix}school_class_id": filters["school_class"]})
    if text := (filters.get("q") or "").strip():
        q &= Q(**{f"{prefix}name__icontains": text})
    return q


def _has_student_filters(filters: dict[str, Any]) -> bool:
    return bool(filters.get("grade") or filters.get("school_class") or (filters.get("q") or "").strip())


@dataclass
class StudentStatsRow:
    group_by: str
    key: str
    label: str = ""
    detail: str = ""
    school_name: str = ""
    lessons: int = 0
    expected: int = 0
    marked: int = 0
    present: int = 0
    late: int = 0
    left_early: int = 0
    absent: int = 0
    leave: int = 0
    unmarked: int = 0
    attendance_rate: Decimal | None = None
    absence_rate: Decimal | None = None
    leave_rate: Decimal | None = None
    labels: dict[str, Any] = field(default_factory=dict, repr=False)
    placed: int = 0
    rows_placed: int = 0

    def finish(self) -> StudentStatsRow:
        self.unmarked = max(self.placed - self.rows_placed, 0)
        self.expected = self.marked + self.unmarked
        if self.group_by == "student":
            self.lessons = self.expected  # one lesson of the student's sections = one place on a roll
        counted = self.expected - self.leave
        self.attendance_rate = rate(self.present + self.late + self.left_early, counted)
        self.absence_rate = rate(self.absent, counted)
        self.leave_rate = rate(self.leave, self.expected)
        labels = self.labels
        self.school_name = labels.get("school_name") or ""
        if self.group_by == "student":
            self.label = labels.get("name") or ""
            self.detail = f"{labels.get('grade_name') or ''}{labels.get('class_name') or ''}"
        elif self.group_by == "class":
            self.label = f"{labels.get('grade_name') or ''}{labels.get('class_name') or ''}"
        elif self.group_by == "grade":
            self.label = labels.get("grade_name") or ""
        elif self.group_by == "section":
            self.label = labels.get("section_name") or ""
            self.detail = labels.get("course_name") or ""
        elif self.group_by == "school":
            self.label = self.school_name
        else:
            self.label = self.key
        return self

    def sort_key(self, order: tuple[str, ...]) -> tuple[Any, ...]:
        return tuple(
            (self.labels.get(n) is None, self.labels[n] if self.labels.get(n) is not None else 0) for n in order
        )


def _row(rows: dict[Any, StudentStatsRow], group_by: str, key: Any) -> StudentStatsRow:
    row = rows.get(key)
    if row is None:
        shown = key.isoformat() if isinstance(key, dt.date) else str(key)
        row = rows[key] = StudentStatsRow(group_by=group_by, key=shown, labels={"key": key})
    return row


def _placed_here() -> FilteredRelation:
    """(On an attendance row) the student's active enrolment in the lesson's section, if it is still placed there:
    joined (at most one: one active place per section and student), not probed row by row."""
    return FilteredRelation(
        "student__enrollments",
        condition=Q(
            student__enrollments__section_id=F("lesson__section_id"),
            student__enrollments__status=EnrollmentStatus.ACTIVE,
        ),
    )


def student_stats(*, actor: Actor, filters: dict[str, Any], group_by: str = "student") -> list[StudentStatsRow]:
    """The attendance of the students on the rolls of the lessons held, one row per group, ordered by name.
    `filters` after with_range: date_from, date_to, school, grade, school_class, section, q (student name).

    Counted by status from the attendance rows; 未点名 = the placed (enrolment × held lesson) pairs less the rows of
    placed students; 应到 = rows + 未点名. Grouped by key only: the names come in one more query."""
    require_reader(actor)
    if group_by not in GROUPINGS:
        raise ValidationFailed({"group_by": ["分组方式不正确"]})
    grouping = GROUPINGS[group_by]
    held = lessons_held(actor=actor, filters=filters)
    students = _student_q(filters)
    rows: dict[Any, StudentStatsRow] = {}

    counts = {name: Count("pk", filter=Q(status=status)) for name, status in STATUS_FIELDS.items()}
    marked = (
        StudentAttendance.objects.filter(students, lesson__in=held)
        .alias(place=_placed_here())
        .values(g_key=F(_key(grouping, "row")))
        .annotate(marked=Count("pk"), rows_placed=Count("pk", filter=Q(place__isnull=False)), **counts)
        .order_by()
    )
    for found in marked:
        row = _row(rows, group_by, found["g_key"])
        row.marked, row.rows_placed = found["marked"], found["rows_placed"]
        for name in STATUS_FIELDS:
            setattr(row, name, found[name])

    # Each active enrolment once per held lesson of its section: the students the rolls list.
    placed = (
        Enrollment.objects.filter(students, status=EnrollmentStatus.ACTIVE, section__lessons__in=held)
        .values(g_key=F(_key(grouping, "placed")))
        .annotate(placed=Count("pk"))
        .order_by()
    )
    for found in placed:
        _row(rows, group_by, found["g_key"]).placed = found["placed"]

    if grouping.level == "lesson":
        _lessons_by_lesson_key(rows, group_by, held, filters)
    elif group_by in ("class", "grade"):
        _lessons_by_student_key(rows, grouping, held, filters)
    _label(rows, grouping)
    done = [row.finish() for row in rows.values()]
    done.sort(key=lambda r: r.sort_key(grouping.order))
    return done


def _label(rows: dict[Any, StudentStatsRow], grouping: _Grouping) -> None:
    if grouping.model is None or not rows:
        return
    names = {f"g_{name}": F(path) for name, path in grouping.labels.items()}
    for found in grouping.model._default_manager.filter(pk__in=list(rows)).values("pk", **names):
        rows[found["pk"]].labels.update({name[2:]: value for name, value in found.items() if name.startswith("g_")})


def _lessons_by_lesson_key(
    rows: dict[Any, StudentStatsRow], group_by: str, held: QuerySet[Lesson], filters: dict[str, Any]
) -> None:
    """Lessons held per section, school or date; with a student filter, only those whose roll lists one of the
    students it selects."""
    lessons = held
    if _has_student_filters(filters):
        students = _student_q(filters)
        placed = Enrollment.objects.filter(students, section_id=OuterRef("section_id"), status=EnrollmentStatus.ACTIVE)
        marked = StudentAttendance.objects.filter(students, lesson_id=OuterRef("pk"))
        lessons = lessons.filter(Q(Exists(placed)) | Q(Exists(marked)))
    key = F(_key(GROUPINGS[group_by], "lesson"))
    for found in lessons.values(g_key=key).annotate(n=Count("pk")).order_by():
        _row(rows, group_by, found["g_key"]).lessons = found["n"]


def _lessons_by_student_key(
    rows: dict[Any, StudentStatsRow], grouping: _Grouping, held: QuerySet[Lesson], filters: dict[str, Any]
) -> None:
    """Lessons held per class or grade: every held lesson of a section one of its students is placed in (a lesson
    of a 走班 section counts for every class it gathers), and those where one of its students no longer placed has
    a row. Three small queries whatever the number of students."""
    students = _student_q(filters)
    key = _key(grouping, "placed")
    per_section = dict(held.order_by().values("section_id").annotate(n=Count("pk")).values_list("section_id", "n"))
    sections: dict[Any, set[int]] = defaultdict(set)
    placed = (
        Enrollment.objects.filter(students, status=EnrollmentStatus.ACTIVE, section_id__in=held.values("section_id"))
        .order_by()
        .values_list(key, "section_id")
        .distinct()
    )
    for group, section_id in placed:
        sections[group].add(section_id)
    others: dict[Any, set[int]] = defaultdict(set)
    unplaced = (
        StudentAttendance.objects.filter(students, lesson__in=held)
        .alias(place=_placed_here())
        .filter(place__isnull=True)
        .order_by()
        .values_list(key, "lesson_id", "lesson__section_id")
        .distinct()
    )
    for group, lesson_id, section_id in unplaced:
        if section_id not in sections[group]:
            others[group].add(lesson_id)
    for group, row in rows.items():
        row.lessons = sum(per_section.get(s, 0) for s in sections[group]) + len(others[group])


# --- teachers -----------------------------------------------------------------------------------------------


@dataclass
class TeacherStatsRow:
    teacher_id: int
    school_id: int
    teacher_name: str = ""
    school_name: str = ""
    organization: str = ""
    taught: int = 0
    checked_in: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    checked_out: int = 0
    flagged: int = 0
    leave: int = 0
    checkin_rate: Decimal | None = None
    on_time_rate: Decimal | None = None
    taught_over: int = 0
    checked_in_over: int = 0

    def finish(self) -> TeacherStatsRow:
        self.late = self.checked_in - self.on_time
        self.missing = max(self.taught_over - self.checked_in_over, 0)
        self.checkin_rate = rate(self.checked_in, self.taught)
        self.on_time_rate = rate(self.on_time, self.taught)
        return self


def _teacher_q(filters: dict[str, Any], path: str) -> Q:
    if text := (filters.get("q") or "").strip():
        return Q(**{f"{path}__display_name__icontains": text}) | Q(**{f"{path}__username__icontains": text})
    return Q()


def _on_time(prefix: str = "lesson__") -> Q:
    """Checked in no later than the lesson's start (both compared as Asia/Shanghai wall-clock times)."""
    return Q(checked_in_at__date__lt=F(f"{prefix}date")) | Q(
        checked_in_at__date=F(f"{prefix}date"), checked_in_at__time__lte=F(f"{prefix}starts_at")
    )


def teacher_stats(*, actor: Actor, filters: dict[str, Any]) -> list[TeacherStatsRow]:
    """Per teacher and school: lessons taught (held lessons the teacher is on), checked in, on time, late,
    missing (no check-in, lesson over), checked out, positions flagged, approved leaves of lessons in the range.
    School staff and organization teachers alike. `filters` after with_range: school, section, q (teacher)."""
    require_reader(actor)
    now = timeutil.local_now()
    held = lessons_held(actor=actor, filters=filters)
    rows: dict[tuple[int, int], TeacherStatsRow] = {}

    def row(found: dict[str, Any]) -> TeacherStatsRow:
        key = (found["g_teacher"], found["g_school"])
        if key not in rows:
            name = found["g_display_name"] or found["g_username"] or ""
            rows[key] = TeacherStatsRow(
                teacher_id=key[0], school_id=key[1], teacher_name=name, school_name=found["g_school_name"]
            )
        return rows[key]

    taught = (
        held.filter(_teacher_q(filters, "teachers"), teachers__isnull=False)
        .values(
            g_teacher=F("teachers"), g_school=F("section__school_id"), g_display_name=F("teachers__display_name"),
            g_username=F("teachers__username"), g_school_name=F("section__school__name"),
        )
        .annotate(taught=Count("pk"), over=Count("pk", filter=_until(now, "ends_at")))
        .order_by()
    )  # fmt: skip
    for found in taught:
        r = row(found)
        r.taught, r.taught_over = found["taught"], found["over"]

    checkins = (
        scoped(TeacherCheckin.objects.all(), actor)
        # A check-in counts for a lesson the teacher still teaches (not one handed to a substitute since).
        .filter(_teacher_q(filters, "teacher"), lesson__in=held, lesson__teachers=F("teacher_id"))
        .values(**_teacher_values("teacher", "lesson__section__school"))
        .annotate(
            checked_in=Count("pk"), on_time=Count("pk", filter=_on_time()),
            checked_out=Count("pk", filter=Q(checked_out_at__isnull=False)),
            flagged=Count("pk", filter=Q(in_flagged=True) | Q(out_flagged=True)),
            over=Count("pk", filter=_until(now, "ends_at", "lesson__")),
        )
        .order_by()
    )  # fmt: skip
    for found in checkins:
        r = row(found)
        r.checked_in, r.on_time, r.checked_out = found["checked_in"], found["on_time"], found["checked_out"]
        r.flagged, r.checked_in_over = found["flagged"], found["over"]

    leaves = (
        scoped(TeacherLeave.objects.all(), actor)
        .filter(
            _teacher_q(filters, "teacher"), status=LeaveStatus.APPROVED,
            lesson__in=lessons_in_range(actor=actor, filters=filters),
        )
        .values(**_teacher_values("teacher", "lesson__section__school"))
        .annotate(n=Count("pk"))
        .order_by()
    )  # fmt: skip
    for found in leaves:
        row(found).leave = found["n"]

    organizations = dict(
        RoleMembership.objects.filter(
            user_id__in={key[0] for key in rows}, role=Role.ORG_TEACHER, is_active=True
        ).values_list("user_id", "organization__name")
    )
    for key, r in rows.items():
        r.organization = organizations.get(key[0]) or ""
    done = [r.finish() for r in rows.values()]
    done.sort(key=lambda r: (r.school_name, r.teacher_name, r.teacher_id))
    return done


def _teacher_values(teacher: str, school: str) -> dict[str, F]:
    return {
        "g_teacher": F(f"{teacher}_id"), "g_school": F(f"{school}_id"),
        "g_display_name": F(f"{teacher}__display_name"), "g_username": F(f"{teacher}__username"),
        "g_school_name": F(f"{school}__name"),
    }  # fmt: skip


# --- lessons ------------------------------------------------------------------------------------------------


def _count(queryset: QuerySet[Any], group: str) -> Coalesce:
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def lesson_stats(*, actor: Actor, filters: dict[str, Any]) -> QuerySet[Lesson]:
    """The lessons held in the range, latest first, each with its roll counts (present, late, left_early, absent,
    leave, marked, unmarked; expected = marked + unmarked), its patrols (patrol_count, patrol_score: the average
    score_percent) and, prefetched, its teachers and their check-ins. `filters` after with_range: school, section,
    q (section, course or teacher name)."""
    require_reader(actor)
    lessons = lessons_held(actor=actor, filters=filters)
    if text := (filters.get("q") or "").strip():
        named = Q(section__name__icontains=text) | Q(section__course__name__icontains=text)
        taught_by = Lesson.objects.filter(
            Q(teachers__display_name__icontains=text) | Q(teachers__username__icontains=text)
        ).values("pk")
        lessons = lessons.filter(named | Q(pk__in=taught_by))
    rows = StudentAttendance.objects.filter(lesson_id=OuterRef("pk"))
    unmarked = Enrollment.objects.filter(section_id=OuterRef("section_id"), status=EnrollmentStatus.ACTIVE).exclude(
        Exists(StudentAttendance.objects.filter(lesson_id=OuterRef(OuterRef("pk")), student_id=OuterRef("student_id")))
    )
    patrols = Patrol.objects.filter(lesson_id=OuterRef("pk"))
    patrol_score = patrols.order_by().values("lesson_id").annotate(a=Avg("score_percent")).values("a")[:1]
    counts = {name: _count(rows.filter(status=status), "lesson_id") for name, status in STATUS_FIELDS.items()}
    return (
        lessons.select_related("section", "section__course", "section__school")
        .prefetch_related(
            Prefetch("teachers", queryset=User.objects.only("pk", "username", "display_name").order_by("pk")),
            Prefetch("teacher_checkins", queryset=TeacherCheckin.objects.select_related("teacher").order_by("pk")),
        )
        .annotate(
            **counts,
            marked=_count(rows, "lesson_id"),
            unmarked=_count(unmarked, "section_id"),
            patrol_count=_count(patrols, "lesson_id"),
            patrol_score=Subquery(patrol_score),
        )
        .order_by("-date", "-starts_at", "section__name", "pk")
    )


@dataclass
class TeacherCheck:
    """One teacher of a lesson and its check-in (None fields when it did not check in)."""

    teacher_id: int
    name: str
    checked_in_at: dt.datetime | None = None
    checked_out_at: dt.datetime | None = None
    in_distance_m: int | None = None
    in_accuracy_m: int | None = None
    in_flagged: bool = False
    out_distance_m: int | None = None
    out_accuracy_m: int | None = None
    out_flagged: bool = False
    late: bool | None = None


def lesson_teacher_checks(lesson: Lesson) -> list[TeacherCheck]:
    """The lesson's teachers with their check-ins (from the prefetch of lesson_stats), and any other teacher who
    checked in for it (since substituted)."""
    checkins = {c.teacher_id: c for c in lesson.teacher_checkins.all()}
    teachers: list[tuple[int, str]] = [(t.pk, str(t)) for t in lesson.teachers.all()]
    known = {pk for pk, _ in teachers}
    starts = aware(lesson_start(lesson))
    out = []
    for pk, name in teachers + [(pk, "") for pk in checkins if pk not in known]:
        check = TeacherCheck(teacher_id=pk, name=name)
        found = checkins.get(pk)
        if found is not None:
            check.checked_in_at, check.checked_out_at = found.checked_in_at, found.checked_out_at
            check.in_distance_m, check.in_accuracy_m, check.in_flagged = (
                found.in_distance_m, found.in_accuracy_m, found.in_flagged,
            )  # fmt: skip
            check.out_distance_m, check.out_accuracy_m, check.out_flagged = (
                found.out_distance_m, found.out_accuracy_m, found.out_flagged,
            )  # fmt: skip
            check.late = found.checked_in_at > starts
            check.name = check.name or str(found.teacher)
        out.append(check)
    return out


# --- filter choices for the pages ---------------------------------------------------------------------------


def schools_for_filter(*, actor: Actor) -> QuerySet[School]:
    return scoped(School.objects.all(), actor).order_by("name")


def filter_choices(*, actor: Actor, filters: dict[str, Any]) -> dict[str, Iterable[Any]]:
    """The schools (bureau), and for one school its grades, classes and the sections running in the range."""
    school = filters.get("school") or (None if sees_schools(actor) else actor.school_id)
    out: dict[str, Iterable[Any]] = {"schools": schools_for_filter(actor=actor) if sees_schools(actor) else []}
    if not school:
        return {**out, "grades": [], "classes": [], "sections": []}
    out["grades"] = scoped(Grade.objects.filter(school_id=school), actor).order_by("level")
    out["classes"] = (
        scoped(SchoolClass.objects.filter(school_id=school), actor)
        .select_related("grade")
        .order_by("grade__level", "name")
    )
    out["sections"] = (
        scoped(Section.objects.filter(school_id=school), actor)
        .exclude(status__in=[SectionStatus.DRAFT, SectionStatus.CANCELLED])
        .filter(starts_on__lte=filters["date_to"], ends_on__gte=filters["date_from"])
        .order_by("name", "pk")
    )
    return out
