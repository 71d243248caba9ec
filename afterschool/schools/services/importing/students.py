"""Students with their guardians: one row per student, up to two guardians; keyed by 学籍号."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from afterschool.accounts.choices import Role
from afterschool.core.personal import index_of
from afterschool.schools.choices import Gender, GuardianRelation
from afterschool.schools.models import (
    ID_NUMBER_PURPOSE,
    MOBILE_PURPOSE,
    Grade,
    Guardian,
    SchoolClass,
    Student,
    StudentGuardian,
)
from afterschool.schools.validators import birth_date_from_id, validate_id_number

from . import accounts, reading
from .common import Column, Context, Counts, Kind, chunks, first_seen
from .reading import CellError
from .structure import find_grade, mobile, touch

GENDERS = {label: value for value, label in Gender.choices} | {"男性": Gender.MALE, "女性": Gender.FEMALE}
RELATIONS = {label: value for value, label in GuardianRelation.choices} | {
    "爸爸": GuardianRelation.FATHER,
    "妈妈": GuardianRelation.MOTHER,
    "祖父": GuardianRelation.GRANDFATHER,
    "外祖父": GuardianRelation.GRANDFATHER,
    "爷爷": GuardianRelation.GRANDFATHER,
    "外公": GuardianRelation.GRANDFATHER,
    "祖母": GuardianRelation.GRANDMOTHER,
    "外祖母": GuardianRelation.GRANDMOTHER,
    "奶奶": GuardianRelation.GRANDMOTHER,
    "外婆": GuardianRelation.GRANDMOTHER,
    "其他": GuardianRelation.OTHER,
}

COLUMNS = (
    Column("学籍号", True, "必填，本校内唯一；再次导入同一学籍号会更新该学生", "G110108201703010011"),
    Column("姓名", True, "必填", "张小明"),
    Column("性别", True, "必填：男 / 女", "男"),
    Column("出生日期", False, "选填：日期单元格或 2017-03-01、2017/03/01；填写身份证号时须与之一致", "2017-03-01"),
    Column("年级", True, "必填：已建立的年级名称，如 一年级", "一年级"),
    Column("班级", True, "必填：该年级下已建立的班级名称，如 1班", "1班"),
    Column("身份证号", False, "选填：18 位居民身份证号（校验位会被检查），本校内不得重复", "11010820170301001X"),
    Column("监护人1姓名", True, "必填", "张伟"),
    Column("监护人1手机号", True, "必填：11 位手机号，即家长登录账号", "13900000001"),
    Column("监护人1关系", True, "必填：" + "、".join(GuardianRelation.labels), "父亲"),
    Column("监护人2姓名", False, "选填；填写时手机号与关系也须填写", "李娜"),
    Column("监护人2手机号", False, "选填", "13900000002"),
    Column("监护人2关系", False, "选填", "母亲"),
)


@dataclass
class GuardianRow:
    mobile: str
    name: str
    relation: str


@dataclass
class StudentRow:
    row: int
    number: str
    name: str
    gender: str
    birth_date: dt.date | None
    grade: Grade
    school_class: SchoolClass
    id_number: str | None
    guardians: list[GuardianRow] = field(default_factory=list)


def _id_number(value: Any) -> str:
    number = reading.text(value, max_length=18).upper()
    try:
        validate_id_number(number)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None
    return number


def _text(n: int) -> Any:
    return lambda v: reading.text(v, max_length=n)


def validate(ctx: Context, rows: list[tuple[int, dict[str, Any]]]) -> list[StudentRow]:
    school = ctx.school
    grades = list(Grade.objects.filter(school=school))
    classes = {(c.grade_id, c.name): c for c in SchoolClass.objects.filter(school=school)}
    id_owner = dict(
        Student.objects.filter(school=school, id_number_index__isnull=False).values_list(
            "id_number_index", "student_number"
        )
    )
    plan: list[StudentRow] = []
    seen_numbers: dict[Any, int] = {}
    seen_ids: dict[Any, int] = {}
    guardian_first: dict[str, tuple[int, str, str]] = {}  # mobile → (row, mobile column, name)
    for row, values in rows:
        before = len(ctx.errors)
        number = ctx.cell(row, values, "学籍号", _text(32), required=True)
        name = ctx.cell(row, values, "姓名", _text(64), required=True)
        gender = ctx.cell(row, values, "性别", lambda v: reading.choice(v, options=GENDERS, what="性别"), required=True)
        birth = ctx.cell(row, values, "出生日期", reading.date)
        grade_name = ctx.cell(row, values, "年级", _text(32), required=True)
        class_name = ctx.cell(row, values, "班级", _text(32), required=True)
        id_number = ctx.cell(row, values, "身份证号", _id_number)
        if number:
            first_seen(ctx, seen_numbers, number, row, "学籍号", "学籍号")
        grade = school_class = None
        if grade_name:
            grade = find_grade(grades, grade_name)
            if grade is None:
                ctx.error(row, "年级", f"年级“{grade_name}”不存在，请先建立年级和班级")
            elif class_name:
                school_class = classes.get((grade.pk, class_name))
                if school_class is None:
                    ctx.error(row, "班级", f"{grade.name}没有“{class_name}”，请先建立该班级")
        if id_number:
            if first_seen(ctx, seen_ids, id_number, row, "身份证号", "身份证号"):
                owner = id_owner.get(index_of(id_number, purpose=ID_NUMBER_PURPOSE))
                if owner is not None and owner != number:
                    ctx.error(row, "身份证号", f"该身份证号已被本校学籍号为 {owner} 的学生使用")
            if birth and birth != birth_date_from_id(id_number):
                ctx.error(row, "出生日期", "出生日期与身份证号中的出生日期不一致")
            birth = birth or birth_date_from_id(id_number)
        if birth and not dt.date(1990, 1, 1) <= birth <= dt.date.today():
            ctx.error(row, "出生日期", "出生日期不合理")
        guardians: list[GuardianRow] = []
        for n in (1, 2):
            headers = (f"监护人{n}姓名", f"监护人{n}手机号", f"监护人{n}关系")
            if n == 2 and all(reading.is_blank(values.get(h)) for h in headers):
                continue
            g_name = ctx.cell(row, values, headers[0], _text(64), required=True)
            g_mobile = ctx.cell(row, values, headers[1], mobile, required=True)
            relation = ctx.cell(
                row, values, headers[2], lambda v: reading.choice(v, options=RELATIONS, what="关系"), required=True
            )
            if g_mobile and any(g.mobile == g_mobile for g in guardians):
                ctx.error(row, headers[1], "两位监护人的手机号相同")
                continue
            if g_mobile and g_name:
                known = guardian_first.get(g_mobile)
                if known is None:
                    guardian_first[g_mobile] = (row, headers[1], g_name)
                elif known[2] != g_name:
                    ctx.error(row, headers[0], f"同一手机号在第 {known[0]} 行的监护人姓名为“{known[2]}”，请保持一致")
            if g_name and g_mobile and relation:
                guardians.append(GuardianRow(g_mobile, g_name, relation))
        if len(ctx.errors) == before:
            assert number and name and gender and grade and school_class
            plan.append(StudentRow(row, number, name, gender, birth, grade, school_class, id_number, guardians))
    _check_guardian_accounts(ctx, guardian_first)
    return plan


def _check_guardian_accounts(ctx: Context, guardian_first: dict[str, tuple[int, str, str]]) -> None:
    """A guardian who will need a new account must not collide with another account's username."""
    indexes = {index_of(m, purpose=MOBILE_PURPOSE): m for m in guardian_first}
    with_user: set[str] = set()
    for batch in chunks(list(indexes)):
        rows = Guardian.objects.filter(mobile_index__in=batch, user__isnull=False).values_list(
            "mobile_index", flat=True
        )
        with_user.update(indexes[i] for i in rows)
    for conflict in sorted(accounts.username_conflicts([m for m in guardian_first if m not in with_user])):
        row, column, _ = guardian_first[conflict]
        ctx.error(row, column, "该手机号已被其他账号用作用户名，无法为此监护人开通家长账号")


def _state(student: Student) -> tuple[Any, ...]:
    return (
        student.name,
        student.gender,
        student.birth_date,
        student.grade_id,
        student.school_class_id,
        student.id_number_index,
        student.is_active,
    )


def write(ctx: Context, plan: list[StudentRow]) -> Counts:
    counts = Counts()
    school = ctx.school
    # Guardians: one per mobile across the whole platform.
    wanted: dict[str, str] = {}
    for planned in plan:
        for g in planned.guardians:
            wanted.setdefault(g.mobile, g.name)
    by_index = {index_of(m, purpose=MOBILE_PURPOSE): m for m in wanted}
    guardians: dict[str, Guardian] = {}
    for batch in chunks(list(by_index)):
        for guardian in Guardian.objects.filter(mobile_index__in=batch):
            guardians[by_index[guardian.mobile_index]] = guardian
    renamed = [g for m, g in guardians.items() if g.name != wanted[m]]
    if renamed:
        # A guardian who also has children in another school keeps its name: this import may not touch that school.
        shared = set(
            StudentGuardian.objects.filter(guardian__in=renamed)
            .exclude(student__school=school)
            .values_list("guardian_id", flat=True)
        )
        renamed = [g for g in renamed if g.pk not in shared]
        for known in renamed:
            known.name = wanted[by_index[known.mobile_index]]
        touch(renamed)
        Guardian.objects.bulk_update(renamed, ["name", "updated_at"], batch_size=1000)
    # Accounts first, so that new guardians are inserted already linked (no second pass over them).
    people = [accounts.Person(m, g.name, g.user_id) for m, g in guardians.items()]
    people += [accounts.Person(m, name, None) for m, name in wanted.items() if m not in guardians]
    user_ids = accounts.ensure_accounts(ctx, people, role=Role.PARENT, counts=counts)
    unlinked = [g for m, g in guardians.items() if g.user_id is None]
    for known in unlinked:
        known.user_id = user_ids[by_index[known.mobile_index]]
    Guardian.objects.bulk_update(unlinked, ["user"], batch_size=1000)
    new_guardians = []
    for mobile_number, name in wanted.items():
        if mobile_number not in guardians:
            guardian = Guardian(name=name, user_id=user_ids[mobile_number])
            guardian.set_mobile(mobile_number)
            new_guardians.append(guardian)
            guardians[mobile_number] = guardian
    Guardian.objects.bulk_create(new_guardians, batch_size=1000)

    # Students, keyed by 学籍号 within the school.
    existing = {s.student_number: s for s in Student.objects.filter(school=school)}
    new_students: list[Student] = []
    matched: list[Student] = []
    changed: list[Student] = []  # only rows that differ are written: re-importing the same file stays cheap
    students: dict[str, Student] = {}
    for item in plan:
        student = existing.get(item.number) or Student(school=school, student_number=item.number)
        before = _state(student)
        student.name, student.gender, student.grade_id = item.name, item.gender, item.grade.pk
        student.school_class_id, student.is_active = item.school_class.pk, True
        if item.birth_date:
            student.birth_date = item.birth_date
        if item.id_number and (student.pk is None or student.id_number != item.id_number):
            student.set_id_number(item.id_number)
        if student.pk is None:
            new_students.append(student)
        else:
            matched.append(student)
            if _state(student) != before:
                changed.append(student)
        students[item.number] = student
    Student.objects.bulk_create(new_students, batch_size=1000)
    touch(changed)
    fields = ["name", "gender", "birth_date", "grade", "school_class", "id_number_encrypted", "id_number_index"]
    Student.objects.bulk_update(changed, [*fields, "is_active", "updated_at"], batch_size=500)
    counts.created, counts.updated = len(new_students), len(matched)

    # Guardian links: the file's guardians replace a student's list.
    links: dict[tuple[int, int], StudentGuardian] = {}
    for ids in chunks([s.pk for s in matched]):
        for existing_link in StudentGuardian.objects.filter(student_id__in=ids):
            links[(existing_link.student_id, existing_link.guardian_id)] = existing_link
    keep: set[tuple[int, int]] = set()
    new_links: list[StudentGuardian] = []
    changed_links: list[StudentGuardian] = []
    for item in plan:
        student = students[item.number]
        for position, g in enumerate(item.guardians):
            key = (student.pk, guardians[g.mobile].pk)
            keep.add(key)
            link = links.get(key)
            if link is None:
                new_links.append(
                    StudentGuardian(
                        student=student, guardian=guardians[g.mobile], relation=g.relation, is_primary=position == 0
                    )
                )
            elif link.relation != g.relation or link.is_primary != (position == 0):
                link.relation, link.is_primary = g.relation, position == 0
                changed_links.append(link)
    StudentGuardian.objects.bulk_create(new_links, batch_size=1000)
    StudentGuardian.objects.bulk_update(changed_links, ["relation", "is_primary"], batch_size=1000)
    stale = [link.pk for key, link in links.items() if key not in keep]
    for stale_batch in chunks(stale):
        StudentGuardian.objects.filter(pk__in=stale_batch).delete()
    return counts


KIND = Kind(code="students", label="学生及监护人", columns=COLUMNS, validate=validate, write=write)
