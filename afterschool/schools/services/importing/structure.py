"""Staff (by 工号), venues (by name), classes (by 年级 + 班级名称), regular timetable (by 班级 + 星期 + 节次)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.utils import timezone

from afterschool.accounts.choices import Role
from afterschool.core.choices import Weekday
from afterschool.core.personal import index_of
from afterschool.schools.choices import StaffRole, VenueKind
from afterschool.schools.models import MOBILE_PURPOSE, Grade, SchoolClass, Staff, TimetableEntry, Venue
from afterschool.schools.services.people import staff_sync_permissions
from afterschool.schools.validators import MOBILE_RE, normalize_mobile
from afterschool.tenancy.models import School

from . import accounts, reading
from .common import Column, Context, Counts, Kind, first_seen
from .reading import CellError

GRADE_NAMES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级"]
_GRADE_ALIASES = {"初一": 7, "初二": 8, "初三": 9}
WEEKDAYS: dict[str, int] = {}
for _value, _label in Weekday.choices:
    WEEKDAYS[_label] = _value
    WEEKDAYS["周" + _label[-1]] = _value
    WEEKDAYS[str(_value)] = _value
WEEKDAYS["星期天"] = WEEKDAYS["周天"] = Weekday.SUNDAY
VENUE_KINDS = {label: value for value, label in VenueKind.choices}
STAFF_ROLES = {label: value for value, label in StaffRole.choices}


def mobile(value: Any) -> str:
    number = normalize_mobile(reading.text(value, max_length=20))
    if not MOBILE_RE.fullmatch(number):
        raise CellError("手机号格式不正确（应为 11 位大陆手机号）")
    return number


def grade_level(name: str) -> int | None:
    """一年级…九年级 (also 1年级, 初一…初三, or a bare 1–9) → level 1..9."""
    name = name.strip()
    if name in GRADE_NAMES:
        return GRADE_NAMES.index(name) + 1
    if name in _GRADE_ALIASES:
        return _GRADE_ALIASES[name]
    match = re.fullmatch(r"([1-9])(年级)?", name)
    return int(match.group(1)) if match else None


def find_grade(grades: Sequence[Grade], name: str) -> Grade | None:
    for grade in grades:
        if grade.name == name:
            return grade
    level = grade_level(name)
    return next((g for g in grades if g.level == level), None) if level else None


def touch(objects: Iterable[Model]) -> None:
    now = timezone.now()
    for obj in objects:
        obj.updated_at = now  # type: ignore[attr-defined]


def _text(n: int) -> Any:
    return lambda v: reading.text(v, max_length=n)


def _upsert(model: type[Model], new: list[Any], changed: list[Any], fields: list[str], counts: Counts) -> None:
    model._default_manager.bulk_create(new, batch_size=1000)
    touch(changed)
    model._default_manager.bulk_update(changed, [*fields, "updated_at"], batch_size=1000)
    counts.created += len(new)
    counts.updated += len(changed)


# --- staff -------------------------------------------------------------------------------------------------


@dataclass
class StaffRow:
    row: int
    number: str
    name: str
    mobile: str | None
    subjects: str
    roles: list[str]


def _roles(value: Any) -> list[str]:
    parts = [p for p in re.split(r"[、,，;；/\s]+", reading.text(value, max_length=200)) if p]
    return sorted({reading.choice(p, options=STAFF_ROLES, what="岗位") for p in parts})


def validate_staff(ctx: Context, rows: list[tuple[int, dict[str, Any]]]) -> list[StaffRow]:
    by_mobile = dict(
        Staff.objects.filter(school=ctx.school, mobile_index__isnull=False).values_list(
            "mobile_index", "employee_number"
        )
    )
    plan, seen, seen_mobiles = [], {}, {}  # type: ignore[var-annotated]
    first_mobile_row: dict[str, int] = {}
    for row, values in rows:
        before = len(ctx.errors)
        number = ctx.cell(row, values, "工号", _text(32), required=True)
        name = ctx.cell(row, values, "姓名", _text(64), required=True)
        phone = ctx.cell(row, values, "手机号", mobile)
        subjects = ctx.cell(row, values, "任教学科", _text(128)) or ""
        roles = ctx.cell(row, values, "岗位", _roles) or []
        if number:
            first_seen(ctx, seen, number, row, "工号", "工号")
        if phone and first_seen(ctx, seen_mobiles, phone, row, "手机号", "手机号"):
            first_mobile_row[phone] = row
            owner = by_mobile.get(index_of(phone, purpose=MOBILE_PURPOSE))
            if owner is not None and owner != number:
                ctx.error(row, "手机号", f"该手机号已被本校工号为 {owner} 的教职工使用")
        if len(ctx.errors) == before:
            plan.append(StaffRow(row, number or "", name or "", phone, subjects, roles))
    linked = set(
        Staff.objects.filter(
            school=ctx.school, user__isnull=False, employee_number__in=[p.number for p in plan]
        ).values_list("employee_number", flat=True)
    )
    need = [p.mobile for p in plan if p.mobile and p.number not in linked]
    for conflict in accounts.username_conflicts(need):
        ctx.error(first_mobile_row[conflict], "手机号", "该手机号已被其他账号用作用户名，无法为此教职工开通教师账号")
    return plan


def write_staff(ctx: Context, plan: list[StaffRow]) -> Counts:
    counts = Counts()
    existing = {s.employee_number: s for s in Staff.objects.filter(school=ctx.school)}
    new: list[Any] = []
    changed: list[Any] = []
    for row in plan:
        staff = existing.get(row.number) or Staff(school=ctx.school, employee_number=row.number)
        staff.name, staff.subjects, staff.roles, staff.is_active = row.name, row.subjects, row.roles, True
        if row.mobile and (staff.pk is None or staff.mobile != row.mobile):
            staff.set_mobile(row.mobile)
        (changed if staff.pk else new).append(staff)
    fields = ["name", "subjects", "roles", "is_active", "mobile_encrypted", "mobile_index"]
    _upsert(Staff, new, changed, fields, counts)
    with_mobile = [s for s in new + changed if s.mobile_index]
    people = [accounts.Person(s.mobile, s.name, s.user_id) for s in with_mobile]
    user_ids = accounts.ensure_accounts(ctx, people, role=Role.TEACHER, counts=counts)
    unlinked = [s for s in with_mobile if s.user_id is None]
    for staff in unlinked:
        staff.user_id = user_ids[staff.mobile]
    Staff.objects.bulk_update(unlinked, ["user"], batch_size=1000)
    staff_sync_permissions(new + changed)
    return counts


STAFF = Kind(
    code="staff",
    label="教职工",
    columns=(
        Column("工号", True, "必填，本校内唯一；再次导入同一工号会更新", "T0001"),
        Column("姓名", True, "必填", "王老师"),
        Column("手机号", False, "选填：11 位手机号；填写后开通教师账号（用户名为手机号）", "13800000001"),
        Column("任教学科", False, "选填，多个学科用顿号分隔", "语文、道德与法治"),
        Column("岗位", False, "选填，多个用顿号分隔：" + "、".join(StaffRole.labels), "任课教师、班主任"),
    ),
    validate=validate_staff,
    write=write_staff,
)


# --- venues ------------------------------------------------------------------------------------------------


@dataclass
class VenueRow:
    row: int
    name: str
    location: str
    capacity: int
    kind: str


def validate_venues(ctx: Context, rows: list[tuple[int, dict[str, Any]]]) -> list[VenueRow]:
    plan, seen = [], {}  # type: ignore[var-annotated]
    for row, values in rows:
        before = len(ctx.errors)
        name = ctx.cell(row, values, "场地名称", _text(64), required=True)
        location = ctx.cell(row, values, "位置", _text(128)) or ""
        capacity = ctx.cell(row, values, "容量", lambda v: reading.positive_int(v, maximum=10_000), required=True)
        kind = ctx.cell(row, values, "类型", lambda v: reading.choice(v, options=VENUE_KINDS, what="场地类型"))
        if name:
            first_seen(ctx, seen, name, row, "场地名称", "场地名称")
        if len(ctx.errors) == before:
            plan.append(VenueRow(row, name or "", location, capacity or 0, kind or VenueKind.CLASSROOM))
    return plan


def write_venues(ctx: Context, plan: list[VenueRow]) -> Counts:
    counts = Counts()
    existing = {v.name: v for v in Venue.objects.filter(school=ctx.school)}
    new: list[Any] = []
    changed: list[Any] = []
    for row in plan:
        venue = existing.get(row.name) or Venue(school=ctx.school, name=row.name)
        venue.location, venue.capacity, venue.kind, venue.is_active = row.location, row.capacity, row.kind, True
        (changed if venue.pk else new).append(venue)
    _upsert(Venue, new, changed, ["location", "capacity", "kind", "is_active"], counts)
    return counts


VENUES = Kind(
    code="venues",
    label="场地",
    columns=(
        Column("场地名称", True, "必填，本校内唯一；再次导入同名场地会更新", "一年级1班教室"),
        Column("位置", False, "选填", "教学楼A座201"),
        Column("容量", True, "必填：可容纳人数（正整数）", 45),
        Column("类型", False, "选填，默认教室：" + "、".join(VenueKind.labels), "教室"),
    ),
    validate=validate_venues,
    write=write_venues,
)


# --- classes -----------------------------------------------------------------------------------------------


@dataclass
class ClassRow:
    row: int
    level: int
    grade_name: str
    name: str
    head_teacher: Staff | None


def validate_classes(ctx: Context, rows: list[tuple[int, dict[str, Any]]]) -> list[ClassRow]:
    grades = list(Grade.objects.filter(school=ctx.school))
    staff = {s.employee_number: s for s in Staff.objects.filter(school=ctx.school)}
    plan, seen = [], {}  # type: ignore[var-annotated]
    for row, values in rows:
        before = len(ctx.errors)
        grade_name = ctx.cell(row, values, "年级", _text(32), required=True)
        name = ctx.cell(row, values, "班级名称", _text(32), required=True)
        head_number = ctx.cell(row, values, "班主任工号", _text(32))
        level = None
        if grade_name:
            grade = find_grade(grades, grade_name)
            level = grade.level if grade else grade_level(grade_name)
            if level is None:
                ctx.error(row, "年级", f"年级“{grade_name}”无法识别，应为 一年级 … 九年级")
        head = None
        if head_number:
            head = staff.get(head_number)
            if head is None:
                ctx.error(row, "班主任工号", f"本校没有工号为 {head_number} 的教职工，请先导入教职工")
        if level and name:
            first_seen(ctx, seen, (level, name), row, "班级名称", "班级")
        if len(ctx.errors) == before and level and name:
            plan.append(ClassRow(row, level, grade_name or "", name, head))
    return plan


def write_classes(ctx: Context, plan: list[ClassRow]) -> Counts:
    counts = Counts()
    grades = {g.level: g for g in Grade.objects.filter(school=ctx.school)}
    names = {g.name for g in grades.values()}
    for level in sorted({r.level for r in plan} - set(grades)):
        name = GRADE_NAMES[level - 1]
        grades[level] = Grade.objects.create(
            school=ctx.school, level=level, name=name if name not in names else f"{level}年级"
        )
    existing = {(c.grade_id, c.name): c for c in SchoolClass.objects.filter(school=ctx.school)}
    new: list[Any] = []
    changed: list[Any] = []
    for row in plan:
        grade = grades[row.level]
        school_class = existing.get((grade.pk, row.name)) or SchoolClass(school=ctx.school, grade=grade, name=row.name)
        if row.head_teacher is not None:
            school_class.head_teacher = row.head_teacher
        (changed if school_class.pk else new).append(school_class)
    _upsert(SchoolClass, new, changed, ["head_teacher"], counts)
    return counts


CLASSES = Kind(
    code="classes",
    label="年级与班级",
    columns=(
        Column("年级", True, "必填：一年级 … 九年级（不存在的年级会自动建立）", "一年级"),
        Column("班级名称", True, "必填，同一年级内唯一；再次导入会更新班主任", "1班"),
        Column("班主任工号", False, "选填：已导入的教职工工号", "T0001"),
    ),
    validate=validate_classes,
    write=write_classes,
)


# --- regular timetable -------------------------------------------------------------------------------------


@dataclass
class TimetableRow:
    row: int
    school_class: SchoolClass
    weekday: int
    period: int
    starts_at: dt.time
    ends_at: dt.time
    subject: str
    teacher: Staff | None


def validate_timetable(ctx: Context, rows: list[tuple[int, dict[str, Any]]]) -> list[TimetableRow]:
    # Same lock as single-entry writes (services/timetable.py) so the teacher-clash check cannot be raced.
    School.objects.select_for_update().filter(pk=ctx.school.pk).first()
    grades = list(Grade.objects.filter(school=ctx.school))
    classes = {(c.grade_id, c.name): c for c in SchoolClass.objects.filter(school=ctx.school)}
    staff = {s.employee_number: s for s in Staff.objects.filter(school=ctx.school)}
    plan, seen = [], {}  # type: ignore[var-annotated]
    cells: dict[tuple[int, int, int], _FileCell] = {}
    for row, values in rows:
        before = len(ctx.errors)
        grade_name = ctx.cell(row, values, "年级", _text(32), required=True)
        class_name = ctx.cell(row, values, "班级", _text(32), required=True)
        weekday = ctx.cell(
            row, values, "星期", lambda v: reading.choice(v, options=WEEKDAYS, what="星期"), required=True
        )
        period = ctx.cell(row, values, "节次", lambda v: reading.positive_int(v, maximum=20), required=True)
        starts = ctx.cell(row, values, "开始时间", reading.time, required=True)
        ends = ctx.cell(row, values, "结束时间", reading.time, required=True)
        subject = ctx.cell(row, values, "学科", _text(32), required=True)
        teacher_number = ctx.cell(row, values, "任课教师工号", _text(32))
        school_class = None
        if grade_name:
            grade = find_grade(grades, grade_name)
            if grade is None:
                ctx.error(row, "年级", f"年级“{grade_name}”不存在，请先导入年级与班级")
            elif class_name:
                school_class = classes.get((grade.pk, class_name))
                if school_class is None:
                    ctx.error(row, "班级", f"{grade.name}没有“{class_name}”，请先导入年级与班级")
        if starts and ends and ends <= starts:
            ctx.error(row, "结束时间", "结束时间须晚于开始时间")
        teacher = None
        if teacher_number:
            teacher = staff.get(teacher_number)
            if teacher is None:
                ctx.error(row, "任课教师工号", f"本校没有工号为 {teacher_number} 的教职工，请先导入教职工")
        if school_class and weekday and period:
            key = (school_class.pk, weekday, period)
            if first_seen(ctx, seen, key, row, "节次", "班级、星期与节次"):
                cells[key] = _FileCell(row, school_class, teacher)
        if len(ctx.errors) == before:
            assert school_class and weekday and period and starts and ends and subject
            plan.append(TimetableRow(row, school_class, weekday, period, starts, ends, subject, teacher))
    _check_teachers_free(ctx, cells)
    return plan


@dataclass
class _FileCell:
    row: int
    school_class: SchoolClass
    teacher: Staff | None


def _check_teachers_free(ctx: Context, cells: dict[tuple[int, int, int], _FileCell]) -> None:
    """A teacher teaches one class per weekday and period, checked on the end state (database overlaid by the file).

    Cells the file replaces (same class, weekday and period) no longer count, so a file that moves a teacher
    from one class to another at the same time is accepted. Only rows of the file get errors.
    """
    end_state: dict[tuple[int, int, int], _FileCell | TimetableEntry] = {
        (e.school_class_id, e.weekday, e.period): e
        for e in TimetableEntry.objects.filter(school_class__school=ctx.school, teacher__isnull=False)
        .select_related("school_class__grade", "teacher")
        .order_by("school_class__grade__level", "school_class__name", "pk")
    }
    end_state.update(cells)
    by_slot: dict[tuple[int, int, int], list[_FileCell | TimetableEntry]] = {}
    for (_, weekday, period), cell in end_state.items():
        if cell.teacher is not None:
            by_slot.setdefault((cell.teacher.pk, weekday, period), []).append(cell)
    for (_, weekday, period), slot in by_slot.items():
        if len(slot) < 2:
            continue
        day = Weekday(weekday).label
        for cell in slot:
            if not isinstance(cell, _FileCell):
                continue
            assert cell.teacher is not None
            where = "、".join(
                f"第 {other.row} 行的{other.school_class}"
                if isinstance(other, _FileCell)
                else f"{other.school_class}（现有课表：{other.subject}）"
                for other in slot
                if other is not cell
            )
            ctx.error(
                cell.row,
                "任课教师工号",
                f"{cell.teacher.name}（工号 {cell.teacher.employee_number}）在{day}第 {period} 节"
                f"已安排在{where}，同一教师不能同时在两个班上课",
            )


def write_timetable(ctx: Context, plan: list[TimetableRow]) -> Counts:
    counts = Counts()
    existing = {
        (e.school_class_id, e.weekday, e.period): e
        for e in TimetableEntry.objects.filter(school_class__school=ctx.school)
    }
    new: list[Any] = []
    changed: list[Any] = []
    for row in plan:
        entry = existing.get((row.school_class.pk, row.weekday, row.period)) or TimetableEntry(
            school_class=row.school_class, weekday=row.weekday, period=row.period
        )
        entry.starts_at, entry.ends_at, entry.subject, entry.teacher = (
            row.starts_at,
            row.ends_at,
            row.subject,
            row.teacher,
        )
        (changed if entry.pk else new).append(entry)
    _upsert(TimetableEntry, new, changed, ["starts_at", "ends_at", "subject", "teacher"], counts)
    return counts


TIMETABLE = Kind(
    code="timetable",
    label="班级常规课表",
    columns=(
        Column("年级", True, "必填：已建立的年级", "一年级"),
        Column("班级", True, "必填：该年级下已建立的班级", "1班"),
        Column("星期", True, "必填：星期一 … 星期日（也可写 周一）", "星期一"),
        Column("节次", True, "必填：第几节（正整数）；同一班级同一星期同一节次再次导入会更新", 1),
        Column("开始时间", True, "必填：时间单元格或 08:00", "08:00"),
        Column("结束时间", True, "必填：晚于开始时间", "08:40"),
        Column("学科", True, "必填", "语文"),
        Column("任课教师工号", False, "选填：已导入的教职工工号", "T0001"),
    ),
    validate=validate_timetable,
    write=write_timetable,
)
