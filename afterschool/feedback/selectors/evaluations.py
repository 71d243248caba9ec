"""Course evaluations (课程评价, §5.4.6, §5.3.3, 课程评价统计 of §5.2.4.2): what a family may evaluate and the state of
each of its child's sections; the evaluations of the sections a teacher teaches (anonymous); the statistics of the
school (its own) and the bureau (its region) grouped by section, course, teacher, organization or school; and the
scoped list of evaluations, with names only for the family itself, the school and the platform.

Statistics are a few grouped aggregate queries (their number does not grow with the evaluations): sums and counts
per group, then one query for the groups' names. Averages are exact (sum ÷ count, one decimal, half up);
满意度 (satisfaction) is the share of aspect scores that are 4 or 5 — each evaluation gives four scores.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from afterschool.accounts.choices import Role
from afterschool.accounts.models import RoleMembership, User
from afterschool.attendance.selectors import leave as family
from afterschool.core import timeutil
from afterschool.core.choices import CourseCategory
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.courses.models import Course
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.scheduling.choices import LessonStatus, SectionStatus
from afterschool.scheduling.models import Lesson, Section, SectionTeacher
from afterschool.schools.choices import TermNumber
from afterschool.schools.models import Student, Term
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization, School
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..choices import EVALUATION_ASPECTS
from ..models import Evaluation

ASPECTS: list[str] = [name for name, _ in EVALUATION_ASPECTS]
ASPECT_LABELS: dict[str, str] = dict(EVALUATION_ASPECTS)

FAMILY = (Role.PARENT, Role.STUDENT)
TEACHING = (Role.TEACHER, Role.ORG_TEACHER)
READERS = (Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN, Role.SYSTEM_ADMIN)
# A section stays on the family's page this many days after its end date (to evaluate or look back).
SHOWN_AFTER_END_DAYS = 30
ONE_DECIMAL = Decimal("0.1")

OWN_COURSES_LABEL = "学校自有课程"


def _rules() -> Any:
    """The rules' constants (EVALUATION_AFTER_LESSONS, EVALUATION_EDIT_DAYS) live with the service that enforces
    them; imported here when needed (the service imports this module)."""
    from ..services import evaluations

    return evaluations


# --- who may do what ---------------------------------------------------------------------------------------------


def is_family_actor(actor: Actor) -> bool:
    return actor.role in FAMILY


def is_teaching_actor(actor: Actor) -> bool:
    return actor.role in TEACHING


def may_read_stats(actor: Actor) -> bool:
    return actor.is_system_admin or actor.role in READERS


def require_family(actor: Actor) -> None:
    if not is_family_actor(actor):
        raise PermissionDenied("只有家长和学生本人可以评价课程")


def require_reader(actor: Actor) -> None:
    if not may_read_stats(actor):
        raise PermissionDenied("只有学校管理员和教育局可以查看评价统计")


def sees_schools(actor: Actor) -> bool:
    """The bureau and the platform: several schools, so a school filter and the by-school grouping."""
    return actor.is_system_admin or actor.role == Role.BUREAU_ADMIN


def shows_names(actor: Actor) -> bool:
    """Who sees the student and the parent behind an evaluation: the family itself, the school, the platform.
    Teachers and the bureau get anonymous evaluations."""
    return actor.is_system_admin or actor.role in (*FAMILY, Role.SCHOOL_ADMIN)


# --- the family ---------------------------------------------------------------------------------------------------


def children(*, actor: Actor) -> list[Student]:
    """A parent's children, a student's own record."""
    return family.children(actor=actor)


def child_get(*, actor: Actor, student_id: Any) -> Student:
    """One of them; another family's child is NotFound, as one that does not exist."""
    return family.child_get(actor=actor, student_id=student_id)


def is_family(actor: Actor, student: Student) -> bool:
    return family.is_family(actor, student)


def _started(now: dt.datetime, prefix: str = "") -> Q:
    """Lessons whose wall-clock start has come (a lesson starting this very minute has started)."""
    return Q(**{f"{prefix}date__lt": now.date()}) | Q(
        **{f"{prefix}date": now.date(), f"{prefix}starts_at__lte": now.time()}
    )


def placed_sections(student: Student) -> QuerySet[Section]:
    """The sections the student may evaluate: it holds an active place there, or held one until the section's end
    (left on or after its end date). Not drafts or cancelled sections."""
    places = Enrollment.objects.filter(student_id=student.pk).filter(
        Q(status=EnrollmentStatus.ACTIVE) | Q(ended_at__isnull=False, ended_at__date__gte=F("section__ends_on"))
    )
    return Section.objects.filter(pk__in=places.values("section_id")).exclude(
        status__in=[SectionStatus.DRAFT, SectionStatus.CANCELLED]
    )


def placed_section_get(*, student: Student, section_id: Any) -> Section:
    """One of those sections, or NotFound (a section the child is not in looks like one that does not exist)."""
    try:
        wanted = int(section_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < wanted < 2**62:
        raise NotFound()
    found = placed_sections(student).filter(pk=wanted).select_related("course", "term", "school").first()
    if found is None:
        raise NotFound()
    return found


def with_progress(sections: QuerySet[Section], now: dt.datetime) -> QuerySet[Section]:
    """Each section with `started` (its lessons, not cancelled, that have started by `now`) and `opens_date` /
    `opens_time` (the wall-clock start of the lesson after which it may be evaluated; None when not scheduled)."""
    lessons = Lesson.objects.filter(section_id=OuterRef("pk"), status=LessonStatus.SCHEDULED)
    started = lessons.filter(_started(now)).order_by().values("section_id").annotate(n=Count("pk")).values("n")
    n = _rules().EVALUATION_AFTER_LESSONS
    nth = lessons.order_by("date", "starts_at", "pk")[n - 1 : n]
    return sections.annotate(
        started=Coalesce(Subquery(started, output_field=IntegerField()), 0),
        opens_date=Subquery(nth.values("date")),
        opens_time=Subquery(nth.values("starts_at")),
    )


def section_progress(section: Section, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """(lessons started, wall-clock start of the lesson that opens the evaluation) for one section."""
    found: Any = with_progress(Section.objects.filter(pk=section.pk), now)
    row = found.values("started", "opens_date", "opens_time").get()
    opens = dt.datetime.combine(row["opens_date"], row["opens_time"]) if row["opens_date"] else None
    return row["started"], opens


def when_label(wall: dt.datetime) -> str:
    """ "11月10日 15:40"."""
    return f"{wall.month}月{wall.day}日 {wall:%H:%M}"


def opens_message(opens: dt.datetime | None) -> str:
    """Why a section may not be evaluated yet, and when it may: "第 2 次课后即可评价（11月10日 15:40 开课后）"."""
    n = _rules().EVALUATION_AFTER_LESSONS
    text = f"第 {n} 次课后即可评价"
    if opens is None:
        return f"{text}（课班还没有安排第 {n} 次课）"
    return f"{text}（{when_label(opens)} 开课后）"


def editable_until(evaluation: Evaluation) -> dt.datetime:
    """The moment an evaluation can no longer be changed."""
    return evaluation.created_at + dt.timedelta(days=_rules().EVALUATION_EDIT_DAYS)


def local_stamp(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class State:
    TOO_EARLY = "too_early"
    OPEN = "open"
    EDITABLE = "editable"
    DONE = "done"


@dataclass
class Evaluable:
    """One section of a child as the family sees it: may it be evaluated now, and its evaluation if given."""

    section: Section
    started: int
    opens_at: dt.datetime | None  # wall clock
    evaluation: Evaluation | None
    now: dt.datetime  # aware
    teachers: list[str] = field(default_factory=list)

    @property
    def until(self) -> dt.datetime | None:
        return editable_until(self.evaluation) if self.evaluation is not None else None

    @property
    def state(self) -> str:
        if self.evaluation is not None:
            return State.EDITABLE if self.until is not None and self.now < self.until else State.DONE
        if self.started < _rules().EVALUATION_AFTER_LESSONS:
            return State.TOO_EARLY
        return State.OPEN

    @property
    def state_label(self) -> str:
        state = self.state
        if state == State.EDITABLE:
            return f"已评价（可修改至 {local_stamp(self.until)}）"
        if state == State.DONE:
            return "已评价"
        if state == State.TOO_EARLY:
            return f"第 {_rules().EVALUATION_AFTER_LESSONS} 次课后可评价"
        return "可评价"

    @property
    def detail(self) -> str:
        """The longer line shown under the state: when it opens, or what was given."""
        if self.state == State.TOO_EARLY:
            return opens_message(self.opens_at)
        return ""

    @property
    def may_submit(self) -> bool:
        return self.state in (State.OPEN, State.EDITABLE)


def teacher_names(section_ids: Iterable[int]) -> dict[int, list[str]]:
    """section id → the names of its teachers (main teacher first)."""
    out: dict[int, list[str]] = defaultdict(list)
    links = (
        SectionTeacher.objects.filter(section_id__in=list(section_ids))
        .order_by("section_id", "-is_main", "pk")
        .values_list("section_id", "user__display_name", "user__username")
    )
    for section_id, display_name, username in links:
        out[section_id].append(display_name or username)
    return out


def evaluables(*, student: Student, section_id: int | None = None) -> list[Evaluable]:
    """The child's sections shown to its family (running, or ended less than 30 days ago), each with its state."""
    now = timeutil.now()
    wall = timeutil.local_now()
    shown_from = wall.date() - dt.timedelta(days=SHOWN_AFTER_END_DAYS)
    sections = placed_sections(student).filter(ends_on__gte=shown_from)
    if section_id is not None:
        sections = sections.filter(pk=section_id)
    rows = list(
        with_progress(sections, wall)
        .select_related("course", "term", "school")
        .order_by("-term__starts_on", "starts_on", "name", "pk")
    )
    found = Evaluation.objects.filter(student_id=student.pk, section__in=[s.pk for s in rows]).select_related("author")
    given = {e.section_id: e for e in found}
    names = teacher_names(s.pk for s in rows)
    out = []
    for section in rows:
        opens_date = getattr(section, "opens_date", None)
        opens_time = getattr(section, "opens_time", None)
        opens = dt.datetime.combine(opens_date, opens_time) if opens_date and opens_time else None
        out.append(
            Evaluable(
                section=section, started=getattr(section, "started", 0), opens_at=opens,
                evaluation=given.get(section.pk), now=now, teachers=names.get(section.pk, []),
            )
        )  # fmt: skip
    return out


def evaluable_get(*, student: Student, section_id: Any) -> Evaluable:
    """One section of the child as evaluables() shows it; a section the child is not in is NotFound."""
    section = placed_section_get(student=student, section_id=section_id)
    now = timeutil.now()
    started, opens = section_progress(section, timeutil.local_now())
    evaluation = Evaluation.objects.filter(student_id=student.pk, section_id=section.pk).first()
    return Evaluable(
        section=section, started=started, opens_at=opens, evaluation=evaluation, now=now,
        teachers=teacher_names([section.pk]).get(section.pk, []),
    )  # fmt: skip


# --- teachers -----------------------------------------------------------------------------------------------------


def taught_sections(actor: Actor) -> QuerySet[Section]:
    """The sections the actor teaches: named its teacher (SectionTeacher) or teaching one of its lessons. A school's
    teacher only at its school; an organization teacher wherever it was dispatched."""
    if actor.role not in TEACHING or actor.user_id is None:
        return Section.objects.none()
    linked = SectionTeacher.objects.filter(user_id=actor.user_id).values("section_id")
    on_lessons = Lesson.objects.filter(teachers=actor.user_id).values("section_id")
    qs = Section.objects.filter(Q(pk__in=linked) | Q(pk__in=on_lessons))
    if actor.role == Role.TEACHER:
        qs = qs.filter(school_id=actor.school_id or 0)
    return qs


# --- the scoped list ----------------------------------------------------------------------------------------------


def visible_evaluations(actor: Actor) -> QuerySet[Evaluation]:
    """What the actor may read: a family its own children's, a teacher those of the sections it teaches, the school
    its school's, the bureau its region's, the platform all. Organizations are not among the readers."""
    if actor.role in FAMILY:
        qs = scoped(Evaluation.objects.all(), actor)
        return Evaluation.objects.filter(pk__in=qs.values("pk"))
    if actor.role in TEACHING:
        return Evaluation.objects.filter(section__in=taught_sections(actor))
    if may_read_stats(actor):
        return Evaluation.objects.filter(pk__in=scoped(Evaluation.objects.all(), actor).values("pk"))
    raise PermissionDenied("没有查看课程评价的权限")


def _term_q(value: str | None, prefix: str = "section__term__") -> Q:
    """A term as "2026-1" (academic year and term number): the same term at every school of a region."""
    if not value:
        return Q()
    year, _, number = str(value).partition("-")
    if not (year.isdigit() and number.isdigit()) or int(number) not in TermNumber.values or not 1900 < int(year) < 3000:
        raise ValidationFailed({"term": ["学期格式不正确，如 2026-1"]})
    return Q(**{f"{prefix}academic_year": int(year), f"{prefix}term_number": int(number)})


def _date_q(filters: dict[str, Any]) -> Q:
    start, end = filters.get("date_from"), filters.get("date_to")
    if start and end and start > end:
        raise ValidationFailed({"date_to": ["结束日期不能早于开始日期"]})
    q = Q()
    if start:
        q &= Q(created_at__date__gte=start)
    if end:
        q &= Q(created_at__date__lte=end)
    return q


def filtered(qs: QuerySet[Evaluation], filters: dict[str, Any], *, named: bool) -> QuerySet[Evaluation]:
    """The common filters: term, date range (submitted), school, category, section, student, with_comment, q
    (comment text, course and section name; the student's name only where names are shown)."""
    qs = qs.filter(_term_q(filters.get("term")), _date_q(filters))
    if filters.get("school"):
        qs = qs.filter(section__school_id=filters["school"])
    if category := filters.get("category"):
        if category not in CourseCategory.values:
            raise ValidationFailed({"category": ["课程类别不正确"]})
        qs = qs.filter(section__course__category=category)
    if filters.get("section"):
        qs = qs.filter(section_id=filters["section"])
    if filters.get("student"):
        qs = qs.filter(student_id=filters["student"])
    if filters.get("with_comment"):
        qs = qs.exclude(comment="")
    if text := (filters.get("q") or "").strip():
        q = Q(comment__icontains=text) | Q(section__name__icontains=text) | Q(section__course__name__icontains=text)
        if named:
            q |= Q(student__name__icontains=text)
        qs = qs.filter(q)
    return qs


def evaluation_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Evaluation]:
    """The scoped list, newest first, filtered; `shows_names(actor)` says whether names may be shown."""
    qs = filtered(visible_evaluations(actor), dict(filters or {}), named=shows_names(actor))
    return qs.select_related("section", "section__course", "section__school", "student", "author").order_by(
        "-created_at", "-pk"
    )


def stats_section_get(*, actor: Actor, section_id: Any) -> Section:
    """A section of the school's (the bureau's region's) whose evaluations the reader lists."""
    require_reader(actor)
    return get_scoped_or_404(Section.objects.select_related("course", "school", "term"), actor, pk=section_id)


# --- statistics ---------------------------------------------------------------------------------------------------

GROUPS: dict[str, str] = {
    "section": "课班",
    "course": "课程",
    "teacher": "教师",
    "organization": "机构",
    "school": "学校",
}

# The group's key, as a path from an evaluation. A teacher group reaches every teacher of the section (one row per
# evaluation and teacher: SectionTeacher is unique per section and user).
KEYS: dict[str, str] = {
    "section": "section_id",
    "course": "section__course_id",
    "teacher": "section__teacher_links__user_id",
    "organization": "section__course__owner_organization_id",
    "school": "section__school_id",
}


def groups_for(actor: Actor) -> dict[str, str]:
    """The groupings offered: 学校 only to those who see several schools."""
    return {k: v for k, v in GROUPS.items() if k != "school" or sees_schools(actor)}


def one_decimal(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def ratio(numerator: int, denominator: int, *, percent: bool = False) -> Decimal | None:
    if denominator <= 0:
        return None
    return one_decimal(Decimal(numerator * (100 if percent else 1)) / Decimal(denominator))


@dataclass
class StatsRow:
    """One group's figures. Averages are of the 1–5 scores; satisfaction is the % of scores that are 4 or 5."""

    group_by: str
    key: int | None
    label: str = ""
    detail: str = ""
    school_name: str = ""
    count: int = 0
    sums: dict[str, int] = field(default_factory=dict)
    highs: dict[str, int] = field(default_factory=dict)
    placed: int | None = None  # 课班: students holding an active place
    responded: int | None = None  # 课班: evaluations of those students

    def average(self, aspect: str) -> Decimal | None:
        return ratio(self.sums.get(aspect, 0), self.count)

    @property
    def aspect_averages(self) -> list[tuple[str, Decimal | None]]:
        """(label, average) of each aspect, in the standard's order."""
        return [(ASPECT_LABELS[aspect], self.average(aspect)) for aspect in ASPECTS]

    @property
    def overall(self) -> Decimal | None:
        return ratio(sum(self.sums.values()), self.count * len(ASPECTS))

    @property
    def satisfaction(self) -> Decimal | None:
        return ratio(sum(self.highs.values()), self.count * len(ASPECTS), percent=True)

    @property
    def response_rate(self) -> Decimal | None:
        if self.placed is None or self.responded is None:
            return None
        return ratio(self.responded, self.placed, percent=True)


def _sums() -> dict[str, Any]:
    out: dict[str, Any] = {"n": Count("pk")}
    for aspect in ASPECTS:
        out[f"sum_{aspect}"] = Sum(aspect)
        out[f"high_{aspect}"] = Count("pk", filter=Q(**{f"{aspect}__gte": 4}))
    return out


def _search(group_by: str, text: str) -> Q:
    """The free-text search on the group's own name."""
    if group_by == "section":
        return Q(section__name__icontains=text) | Q(section__course__name__icontains=text)
    if group_by == "course":
        return Q(section__course__name__icontains=text)
    if group_by == "teacher":
        return Q(section__teacher_links__user__display_name__icontains=text) | Q(
            section__teacher_links__user__username__icontains=text
        )
    if group_by == "organization":
        return Q(section__course__owner_organization__name__icontains=text)
    return Q(section__school__name__icontains=text)


def aggregate(qs: QuerySet[Evaluation], group_by: str, *, text: str = "") -> dict[Any, StatsRow]:
    """The figures of each group of `qs`, in one grouped query; for 课班 also how many of its evaluations are by
    students still placed there (the students placed are counted by label_rows)."""
    if group_by not in KEYS:
        raise ValidationFailed({"group_by": ["分组方式不正确"]})
    if group_by == "teacher":
        # The same filter() as the search: the grouped key reuses its join, so only the matching teachers count.
        qs = qs.filter(Q(section__teacher_links__isnull=False) & (_search(group_by, text) if text else Q()))
    elif text:
        qs = qs.filter(_search(group_by, text))
    extra: dict[str, Any] = {}
    if group_by == "section":
        placed_now = Enrollment.objects.filter(
            section_id=OuterRef("section_id"), student_id=OuterRef("student_id"), status=EnrollmentStatus.ACTIVE
        )
        qs = qs.alias(placed_now=Exists(placed_now))
        extra["responded"] = Count("pk", filter=Q(placed_now=True))
    rows: dict[Any, StatsRow] = {}
    for found in qs.values(g_key=F(KEYS[group_by])).annotate(**_sums(), **extra).order_by():
        row = StatsRow(group_by=group_by, key=found["g_key"], count=found["n"])
        row.sums = {aspect: found[f"sum_{aspect}"] or 0 for aspect in ASPECTS}
        row.highs = {aspect: found[f"high_{aspect}"] for aspect in ASPECTS}
        if group_by == "section":
            row.responded = found["responded"]
        rows[row.key] = row
    return rows


def _placed_counts(rows: dict[Any, StatsRow]) -> None:
    counts = dict(
        Enrollment.objects.filter(section_id__in=[k for k in rows if k is not None], status=EnrollmentStatus.ACTIVE)
        .order_by()
        .values("section_id")
        .annotate(n=Count("pk"))
        .values_list("section_id", "n")
    )
    for key, row in rows.items():
        row.placed = counts.get(key, 0)
        row.responded = row.responded or 0


def _term_label(year: int | None, number: int | None) -> str:
    if not year or not number:
        return ""
    return f"{year}–{year + 1} 学年{TermNumber(number).label}"


def _label_sections(rows: dict[Any, StatsRow], keys: list[int]) -> None:
    names = teacher_names(keys)
    found = Section.objects.filter(pk__in=keys).values(
        "pk", "name", "course__name", "school__name", "term__academic_year", "term__term_number"
    )
    for item in found:
        row = rows[item["pk"]]
        row.label, row.school_name = item["name"], item["school__name"]
        term = _term_label(item["term__academic_year"], item["term__term_number"])
        row.detail = " · ".join(x for x in (item["course__name"], "、".join(names.get(item["pk"], [])), term) if x)
    _placed_counts(rows)


def _label_courses(rows: dict[Any, StatsRow], keys: list[int]) -> None:
    found = Course.objects.filter(pk__in=keys).values(
        "pk", "name", "category", "owner_school__name", "owner_organization__name"
    )
    for item in found:
        row = rows[item["pk"]]
        row.label = item["name"]
        owner = item["owner_organization__name"] or OWN_COURSES_LABEL
        category = CourseCategory(item["category"]).label if item["category"] in CourseCategory.values else ""
        row.detail = " · ".join(x for x in (category, owner) if x)
        row.school_name = item["owner_school__name"] or ""


def _label_teachers(rows: dict[Any, StatsRow], keys: list[int]) -> None:
    organizations = dict(
        RoleMembership.objects.filter(user_id__in=keys, role=Role.ORG_TEACHER, is_active=True)
        .order_by("pk")
        .values_list("user_id", "organization__name")
    )
    for item in User.objects.filter(pk__in=keys).values("pk", "display_name", "username"):
        row = rows[item["pk"]]
        row.label = item["display_name"] or item["username"]
        row.detail = organizations.get(item["pk"]) or "学校教师"


def _label_organizations(rows: dict[Any, StatsRow], keys: list[int]) -> None:
    for item in Organization.objects.filter(pk__in=keys).values("pk", "name"):
        rows[item["pk"]].label = item["name"]
    if None in rows:
        rows[None].label = OWN_COURSES_LABEL


def _label_schools(rows: dict[Any, StatsRow], keys: list[int]) -> None:
    for item in School.objects.filter(pk__in=keys).values("pk", "name"):
        rows[item["pk"]].label = rows[item["pk"]].school_name = item["name"]


_LABELLERS = {
    "section": _label_sections, "course": _label_courses, "teacher": _label_teachers,
    "organization": _label_organizations, "school": _label_schools,
}  # fmt: skip


def label_rows(rows: dict[Any, StatsRow], group_by: str) -> None:
    """The names of the groups: one query (two for 教师, three for 课班 with the students placed)."""
    _LABELLERS[group_by](rows, [k for k in rows if k is not None])


def _sort_key(row: StatsRow) -> tuple[Any, ...]:
    # 学校自有课程 after the organizations; otherwise by school, then name.
    return (row.key is None, row.school_name, row.label, row.key or 0)


def stats_evaluations(*, actor: Actor, filters: dict[str, Any]) -> QuerySet[Evaluation]:
    """The evaluations the statistics count: the reader's scope, filtered (the school filter only for those who see
    several schools)."""
    require_reader(actor)
    filters = dict(filters)
    if not sees_schools(actor):
        filters.pop("school", None)
    filters.pop("q", None)  # the statistics search the groups' names
    visible = scoped(Evaluation.objects.all(), actor).values("pk")
    return filtered(Evaluation.objects.filter(pk__in=visible), filters, named=False)


def evaluation_stats(
    *, actor: Actor, filters: dict[str, Any] | None = None, group_by: str = "section"
) -> list[StatsRow]:
    """课程评价统计: per group the evaluations, the average of each aspect and overall, satisfaction, and for 课班 the
    students placed and the response rate. `filters`: term ("2026-1"), date_from, date_to (submitted), school
    (bureau), category, q (the group's name)."""
    filters = dict(filters or {})
    if group_by not in groups_for(actor):
        raise ValidationFailed({"group_by": ["分组方式不正确"]})
    qs = stats_evaluations(actor=actor, filters=filters)
    rows = aggregate(qs, group_by, text=(filters.get("q") or "").strip())
    label_rows(rows, group_by)
    return sorted(rows.values(), key=_sort_key)


def teacher_section_rows(*, actor: Actor, filters: dict[str, Any] | None = None) -> list[StatsRow]:
    """A teacher's sections (not drafts or cancelled), each with its evaluations' figures; sections without an
    evaluation yet are listed with none."""
    if actor.role not in TEACHING:
        raise PermissionDenied("只有教师可以查看所教课班的评价")
    filters = dict(filters or {})
    sections = taught_sections(actor).exclude(status__in=[SectionStatus.DRAFT, SectionStatus.CANCELLED])
    sections = sections.filter(_term_q(filters.get("term"), prefix="term__"))
    if filters.get("section"):
        sections = sections.filter(pk=filters["section"])
    evaluations = filtered(Evaluation.objects.filter(section__in=sections), {**filters, "q": ""}, named=False)
    rows = aggregate(evaluations, "section")
    for section_id in sections.values_list("pk", flat=True):
        rows.setdefault(section_id, StatsRow(group_by="section", key=section_id, responded=0))
    label_rows(rows, "section")
    return sorted(rows.values(), key=lambda r: (-r.count, r.label, r.key or 0))


def teacher_comments(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Evaluation]:
    """The evaluations with a comment of the sections the teacher teaches, newest first (shown without names)."""
    if actor.role not in TEACHING:
        raise PermissionDenied("只有教师可以查看所教课班的评价")
    filters = {**(filters or {}), "with_comment": True}
    qs = filtered(Evaluation.objects.filter(section__in=taught_sections(actor)), filters, named=False)
    return qs.select_related("section", "section__course").order_by("-created_at", "-pk")


# --- filter choices -----------------------------------------------------------------------------------------------


def term_choices(*, actor: Actor) -> list[tuple[str, str]]:
    """The terms of the actor's schools as ("2026-1", "2026–2027 学年第一学期"), newest first."""
    if actor.role in TEACHING:
        terms: QuerySet[Any] = Term.objects.filter(pk__in=taught_sections(actor).values("term_id"))
    elif may_read_stats(actor):
        terms = scoped(Term.objects.all(), actor)
    else:
        return []
    pairs = terms.order_by().values_list("academic_year", "term_number").distinct()
    return [(f"{y}-{n}", _term_label(y, n)) for y, n in sorted(set(pairs), reverse=True)]


def school_choices(*, actor: Actor) -> QuerySet[School]:
    if not sees_schools(actor):
        return School.objects.none()
    return scoped(School.objects.all(), actor).order_by("name")


def teacher_section_choices(*, actor: Actor) -> QuerySet[Section]:
    return (
        taught_sections(actor).exclude(status__in=[SectionStatus.DRAFT, SectionStatus.CANCELLED]).order_by("name", "pk")
    )
