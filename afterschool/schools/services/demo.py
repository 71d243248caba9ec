"""The demo school's population (issue point 6): six grades of four classes (≈ 960 students with their guardians),
≈ 60 staff, venues, emergency contacts, the 2026–2027 first term with its calendar, and the grade-1 timetable.

- Deterministic: every random draw comes from a fixed seed, and the whole plan is drawn on every run, so the
  demo is the same each time whatever already exists.
- Idempotent: rows are matched on their natural keys (grade level, class name, employee number, student number,
  guardian mobile index, venue name, …) and only the missing ones are created; a second run writes nothing.
- Fast: bulk_create, and no user accounts for the generated guardians (hashing 1,500 passwords takes minutes);
  only the demo parent's account is linked, as the guardian of two demo students.
Personal data goes through the models' `set_mobile` / `set_id_number` (SM4-GCM + keyed index), as everywhere.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.models import User
from afterschool.accounts.services import record_write
from afterschool.core.errors import PermissionDenied
from afterschool.core.personal import index_of
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..choices import CalendarDayKind, Gender, GuardianRelation, StaffRole, TermNumber, VenueKind
from ..models import (
    MOBILE_PURPOSE,
    CalendarDay,
    EmergencyContact,
    Grade,
    Guardian,
    RegistrationWindow,
    SchoolClass,
    Staff,
    Student,
    StudentGuardian,
    Term,
    TimetableEntry,
    Venue,
)
from ..validators import id_number_check_char
from .people import staff_sync_permissions

SEED = "afterschool-demo-2026"
SHANGHAI = ZoneInfo("Asia/Shanghai")

GRADE_NAMES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
CLASSES_PER_GRADE = 4
TERM_YEAR = 2026  # the 2026–2027 school year; a grade-1 pupil was 6 by 2026-08-31

# Common surnames first: the draw is weighted towards them.
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
BOY_CHARS = list("浩宇轩然子涵博文俊杰睿哲晨阳昊天泽一鸣思远嘉诚航铭皓煜辰逸凡奕霖承宸")
GIRL_CHARS = list("欣怡梓涵思彤雨桐可馨语嫣诗若曦佳琪心梦瑶紫萱雅静悦婉清妍芷")
MAN_CHARS = list("伟强磊军洋勇杰涛明超刚华建国志海峰斌鹏辉")
WOMAN_CHARS = list("芳娜敏静丽艳娟秀英霞平红梅燕玲慧婷颖琳")
# Where the children were registered at birth: mostly Haidian, some elsewhere in Beijing and other provinces.
BIRTH_AREAS = ["110108"] * 12 + ["110105", "110106", "110102", "110114", "130102", "370102", "410105", "420106"]

# (subject, how many teachers); the first 语文 teacher is the principal, the first 数学 teacher the vice-principal.
STAFF_SUBJECTS = [
    ("语文", 20),
    ("数学", 13),
    ("英语", 6),
    ("体育", 5),
    ("音乐", 3),
    ("美术", 3),
    ("科学", 4),
    ("道德与法治", 2),
    ("信息科技", 2),
    ("心理健康", 1),
    ("书法", 1),
]
OFFICE_STAFF = 2  # 课后服务办公室, no subject
DEMO_TEACHER_NUMBER = "T0002"  # the demo teacher account's staff record: a 语文 teacher, head of 一年级1班

VENUES = [
    ("体育馆", "体育楼 1 层", 200, VenueKind.GYM),
    ("田径场", "校园北侧", 600, VenueKind.FIELD),
    ("科学实验室一", "实验楼 2 层", 45, VenueKind.LAB),
    ("科学实验室二", "实验楼 2 层", 45, VenueKind.LAB),
    ("创客空间", "实验楼 3 层", 40, VenueKind.LAB),
    ("音乐教室一", "艺术楼 1 层", 50, VenueKind.MUSIC),
    ("音乐教室二", "艺术楼 1 层", 50, VenueKind.MUSIC),
    ("美术教室", "艺术楼 2 层", 45, VenueKind.ART),
    ("书法教室", "艺术楼 2 层", 45, VenueKind.ART),
    ("计算机教室", "实验楼 3 层", 50, VenueKind.COMPUTER),
    ("图书馆", "综合楼 1 层", 80, VenueKind.LIBRARY),
    ("多功能厅", "综合楼 4 层", 300, VenueKind.OTHER),
    ("舞蹈房", "艺术楼 3 层", 40, VenueKind.OTHER),
]

EMERGENCY_CONTACTS = [
    ("王建华", "校长", "010-62001001", "全面负责校园安全"),
    ("李慧", "安全副校长", "010-62001002", "课后服务期间安全总负责"),
    ("赵海峰", "保卫处主任", "010-62001110", "门卫室 24 小时值守"),
    ("孙丽", "校医", "010-62001120", "校医室（综合楼 1 层）"),
]

# Grade 1, 30 periods a week; 班会 and 劳动 are taught by the head teacher.
GRADE1_WEEK = {
    "语文": 8,
    "数学": 4,
    "英语": 2,
    "道德与法治": 2,
    "体育": 4,
    "音乐": 2,
    "美术": 2,
    "科学": 1,
    "书法": 1,
    "心理健康": 1,
    "劳动": 1,
    "班会": 1,
    "信息科技": 1,
}
PERIODS = [
    (dt.time(8, 0), dt.time(8, 40)),
    (dt.time(8, 50), dt.time(9, 30)),
    (dt.time(10, 0), dt.time(10, 40)),
    (dt.time(10, 50), dt.time(11, 30)),
    (dt.time(13, 30), dt.time(14, 10)),
    (dt.time(14, 20), dt.time(15, 0)),
]


# --- the plan (pure, deterministic) --------------------------------------------------------------------------


@dataclass
class GuardianPlan:
    name: str
    mobile: str
    relation: str
    user: User | None = None


@dataclass
class StudentPlan:
    level: int
    class_no: int
    number: str
    name: str
    gender: str
    birth_date: dt.date
    id_number: str
    guardians: list[GuardianPlan]
    user: User | None = None


@dataclass
class StaffPlan:
    number: str
    name: str
    subjects: str
    roles: list[str]
    mobile: str
    user: User | None = None


@dataclass
class Plan:
    staff: list[StaffPlan] = field(default_factory=list)
    head_teachers: dict[tuple[int, int], str] = field(default_factory=dict)  # (level, class_no) -> employee number
    teachers: dict[tuple[str, int, int], str] = field(default_factory=dict)  # (subject, level, class_no) -> number
    students: list[StudentPlan] = field(default_factory=list)


def _rng(stream: str) -> random.Random:
    # Reproducible demo data, not a secret: the seeded PRNG is the point.
    return random.Random(f"{SEED}:{stream}")  # noqa: S311


class _Mobiles:
    """Unique, valid 13x mobiles; never one of the demo accounts' 1380000000x."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def draw(self) -> str:
        while True:
            mobile = f"13{self.rng.randrange(10)}{self.rng.randrange(10**8):08d}"
            if mobile not in self.used and not mobile.startswith("138000000"):
                self.used.add(mobile)
                return mobile


_SURNAME_CUM_WEIGHTS = list(accumulate(max(1, 40 - i) for i in range(len(SURNAMES))))


def _surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, cum_weights=_SURNAME_CUM_WEIGHTS)[0]


def _given(rng: random.Random, chars: list[str], *, two_chars: float) -> str:
    return "".join(rng.sample(chars, 2 if rng.random() < two_chars else 1))


def _id_number(rng: random.Random, birth: dt.date, gender: str, used: set[str]) -> str:
    while True:
        # The 17th digit is odd for a man, even for a woman (GB 11643).
        sex_digit = rng.choice("13579" if gender == Gender.MALE else "02468")
        first17 = f"{rng.choice(BIRTH_AREAS)}{birth:%Y%m%d}{rng.randrange(100):02d}{sex_digit}"
        value = first17 + id_number_check_char(first17)
        if value not in used:
            used.add(value)
            return value


def _birth_date(rng: random.Random, level: int) -> dt.date:
    """A child of grade `level` in the 2026–2027 year turned 6 + (level - 1) between 2025-09-01 and 2026-08-31."""
    first = dt.date(TERM_YEAR - 5 - level, 9, 1)
    last = dt.date(TERM_YEAR - 4 - level, 8, 31)
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def _new_family(rng: random.Random, mobiles: _Mobiles) -> tuple[str, list[GuardianPlan]]:
    surname = _surname(rng)
    father = GuardianPlan(surname + _given(rng, MAN_CHARS, two_chars=0.5), "", GuardianRelation.FATHER)
    mother_surname = _surname(rng)
    while mother_surname == surname:
        mother_surname = _surname(rng)
    mother = GuardianPlan(mother_surname + _given(rng, WOMAN_CHARS, two_chars=0.5), "", GuardianRelation.MOTHER)
    draw = rng.random()
    if draw < 0.62:
        guardians = [mother, father]
    elif draw < 0.85:
        guardians = [mother]
    elif draw < 0.95:
        guardians = [father]
    else:
        grandmother = _surname(rng) + _given(rng, WOMAN_CHARS, two_chars=0.5)
        guardians = [GuardianPlan(grandmother, "", GuardianRelation.GRANDMOTHER), father]
    for guardian in guardians:
        guardian.mobile = mobiles.draw()
    return surname, guardians


def build_plan(*, teacher: User | None = None, parent: User | None = None, student_user: User | None = None) -> Plan:
    """The whole population, drawn from the fixed seed. Pure: touches no database."""
    plan = Plan()
    mobiles = _Mobiles(_rng("mobiles"))

    # Staff.
    rng = _rng("staff")
    by_subject: dict[str, list[str]] = {}
    number = 0
    for subject, count in STAFF_SUBJECTS:
        for i in range(count):
            number += 1
            employee_number = f"T{number:04d}"
            female = rng.random() < 0.7
            name = _surname(rng) + _given(rng, WOMAN_CHARS if female else MAN_CHARS, two_chars=0.5)
            roles = [StaffRole.TEACHER.value]
            if i == 0 and subject in ("语文", "数学"):
                roles = [StaffRole.LEADER.value, StaffRole.TEACHER.value, StaffRole.PATROL.value]
            elif i == 0 and subject == "体育":
                roles.append(StaffRole.PATROL.value)
            user = None
            mobile = mobiles.draw()
            if employee_number == DEMO_TEACHER_NUMBER:
                name, user, mobile = "陈静", teacher, "13800000002"
                roles.append(StaffRole.PATROL.value)  # the demo teacher also patrols (巡课)
            plan.staff.append(StaffPlan(employee_number, name, subject, roles, mobile, user))
            if StaffRole.LEADER.value not in roles:
                by_subject.setdefault(subject, []).append(employee_number)
    for _ in range(OFFICE_STAFF):
        number += 1
        name = _surname(rng) + _given(rng, WOMAN_CHARS, two_chars=0.5)
        roles = [StaffRole.AFTERSCHOOL_OFFICE.value, StaffRole.PATROL.value]
        plan.staff.append(StaffPlan(f"T{number:04d}", name, "", roles, mobiles.draw()))

    # Head teachers: the 语文 teachers first, then 数学 teachers; 语文 is taught by the head teacher where it can be.
    classes = [(level, class_no) for level in range(1, 7) for class_no in range(1, CLASSES_PER_GRADE + 1)]
    heads = by_subject["语文"] + by_subject["数学"]
    staff_by_number = {s.number: s for s in plan.staff}
    for index, key in enumerate(classes):
        plan.head_teachers[key] = heads[index]
        staff_by_number[heads[index]].roles.append(StaffRole.HEAD_TEACHER.value)
    # Subject teachers: each teacher of a subject takes a run of consecutive classes.
    for subject, numbers in by_subject.items():
        for index, (level, class_no) in enumerate(classes):
            head = plan.head_teachers[(level, class_no)]
            if subject == "语文" and head in numbers:
                plan.teachers[(subject, level, class_no)] = head
            else:
                plan.teachers[(subject, level, class_no)] = numbers[index * len(numbers) // len(classes)]

    # Students and their families; about one child in twenty is the sibling of a child in a lower grade.
    rng = _rng("students")
    used_ids: set[str] = set()
    only_children: list[tuple[str, list[GuardianPlan]]] = []
    parent_family = [GuardianPlan("刘芳", "13800000001", GuardianRelation.MOTHER, parent)]
    demo_children = {(1, 1, 1): ("刘雨涵", Gender.FEMALE, None), (4, 2, 1): ("刘小明", Gender.MALE, student_user)}
    for level, class_no in classes:
        for seat in range(1, rng.randint(38, 42) + 1):
            gender = Gender.MALE if rng.random() < 0.52 else Gender.FEMALE
            user = None
            if (level, class_no, seat) in demo_children:
                name, gender, user = demo_children[(level, class_no, seat)]
                guardians = parent_family
            else:
                if level > 1 and only_children and rng.random() < 0.05:
                    surname, guardians = only_children.pop(rng.randrange(len(only_children)))
                else:
                    surname, guardians = _new_family(rng, mobiles)
                    only_children.append((surname, guardians))
                name = surname + _given(rng, BOY_CHARS if gender == Gender.MALE else GIRL_CHARS, two_chars=0.75)
            birth = _birth_date(rng, level)
            entry_year = TERM_YEAR - level + 1
            plan.students.append(
                StudentPlan(
                    level=level,
                    class_no=class_no,
                    number=f"{entry_year}{class_no:02d}{seat:02d}",
                    name=name,
                    gender=gender,
                    birth_date=birth,
                    id_number=_id_number(rng, birth, gender, used_ids),
                    guardians=guardians,
                    user=user,
                )
            )
    return plan


def grade1_timetable(plan: Plan) -> dict[int, list[tuple[int, int, str, str | None]]]:
    """class_no -> [(weekday, period, subject, teacher number)] for grade 1, no teacher in two rooms at once."""
    for attempt in range(100):
        rng = _rng(f"timetable:{attempt}")
        busy: set[tuple[str, int, int]] = set()
        result: dict[int, list[tuple[int, int, str, str | None]]] = {}
        ok = True
        for class_no in range(1, CLASSES_PER_GRADE + 1):
            remaining = dict(GRADE1_WEEK)
            head = plan.head_teachers[(1, class_no)]
            cells: list[tuple[int, int, str, str | None]] = []
            for weekday in range(1, 6):
                today: list[str] = []
                for period in range(1, len(PERIODS) + 1):
                    options = []
                    for subject, left in remaining.items():
                        if not left or today.count(subject) >= (2 if subject == "语文" else 1):
                            continue
                        teacher = plan.teachers.get((subject, 1, class_no), head)
                        if (teacher, weekday, period) in busy:
                            continue
                        # 语文 and 数学 in the morning; the rest spread out.
                        core = subject in ("语文", "数学")
                        weight = left * (3 if core and period <= 4 else 1)
                        options.append((subject, teacher, weight))
                    if not options:
                        ok = False
                        break
                    subject, teacher, _ = rng.choices(options, weights=[o[2] for o in options])[0]
                    remaining[subject] -= 1
                    today.append(subject)
                    busy.add((teacher, weekday, period))
                    cells.append((weekday, period, subject, teacher))
                if not ok:
                    break
            if not ok:
                break
            result[class_no] = cells
        if ok:
            return result
    raise RuntimeError("no conflict-free grade-1 timetable")  # pragma: no cover - the seed is fixed


# --- writing what is missing ---------------------------------------------------------------------------------


def _create(model: Any, rows: Iterable[Any], created: dict[str, int], key: str) -> None:
    rows = list(rows)
    if rows:
        model.objects.bulk_create(rows, batch_size=500)
    created[key] = created.get(key, 0) + len(rows)


@transaction.atomic
def demo_population_ensure(
    *,
    actor: Actor,
    school: School,
    teacher: User | None = None,
    parent: User | None = None,
    student_user: User | None = None,
) -> dict[str, int]:
    """Create whatever part of the demo school's population is missing; only the platform itself (loaddemo) may."""
    if not actor.is_system_admin:
        raise PermissionDenied("只有平台可以载入演示数据")
    plan = build_plan(teacher=teacher, parent=parent, student_user=student_user)
    created: dict[str, int] = {}

    # Grades and staff, then classes with their head teachers.
    grades = {g.level: g for g in Grade.objects.filter(school=school)}
    _create(
        Grade,
        (Grade(school=school, level=lv, name=GRADE_NAMES[lv - 1]) for lv in range(1, 7) if lv not in grades),
        created,
        "grades",
    )
    grades = {g.level: g for g in Grade.objects.filter(school=school)}

    existing_staff = set(Staff.objects.filter(school=school).values_list("employee_number", flat=True))
    new_staff = []
    for s in plan.staff:
        if s.number in existing_staff:
            continue
        row = Staff(school=school, employee_number=s.number, name=s.name, subjects=s.subjects, roles=s.roles)
        row.user = s.user
        row.set_mobile(s.mobile)
        new_staff.append(row)
    _create(Staff, new_staff, created, "staff")
    staff = {s.employee_number: s for s in Staff.objects.filter(school=school)}
    staff_sync_permissions(staff.values())

    classes = {(c.grade.level, c.name): c for c in SchoolClass.objects.filter(school=school).select_related("grade")}
    _create(
        SchoolClass,
        (
            SchoolClass(
                school=school,
                grade=grades[level],
                name=f"{class_no}班",
                head_teacher=staff.get(plan.head_teachers[(level, class_no)]),
            )
            for level, class_no in plan.head_teachers
            if (level, f"{class_no}班") not in classes
        ),
        created,
        "classes",
    )
    classes = {(c.grade.level, c.name): c for c in SchoolClass.objects.filter(school=school).select_related("grade")}

    _ensure_people(school, plan, grades, classes, created)
    _ensure_places_and_contacts(school, created)
    _ensure_term(school, created)
    _ensure_timetable(plan, classes, staff, created)

    created = {key: count for key, count in created.items() if count}
    if created:
        record_write(actor=actor, event=AuditEventType.CREATE, obj=school, detail={"demo_population": created})
    return created


def _ensure_people(
    school: School,
    plan: Plan,
    grades: dict[int, Grade],
    classes: dict[tuple[int, str], SchoolClass],
    created: dict[str, int],
) -> None:
    existing_students = set(Student.objects.filter(school=school).values_list("student_number", flat=True))
    new_students = []
    for p in plan.students:
        if p.number in existing_students:
            continue
        student = Student(
            school=school,
            student_number=p.number,
            name=p.name,
            gender=p.gender,
            birth_date=p.birth_date,
            grade=grades[p.level],
            school_class=classes[(p.level, f"{p.class_no}班")],
            user=p.user,
        )
        student.set_id_number(p.id_number)
        new_students.append(student)
    _create(Student, new_students, created, "students")

    guardian_plans = {g.mobile: g for p in plan.students for g in p.guardians}
    indexes = {mobile: index_of(mobile, purpose=MOBILE_PURPOSE) for mobile in guardian_plans}
    existing = dict(Guardian.objects.filter(mobile_index__in=indexes.values()).values_list("mobile_index", "id"))
    new_guardians = []
    for mobile, g in guardian_plans.items():
        if indexes[mobile] in existing:
            continue
        guardian = Guardian(name=g.name, user=g.user)
        guardian.set_mobile(mobile)
        new_guardians.append(guardian)
    _create(Guardian, new_guardians, created, "guardians")
    if new_guardians:
        existing = dict(Guardian.objects.filter(mobile_index__in=indexes.values()).values_list("mobile_index", "id"))

    student_ids = dict(Student.objects.filter(school=school).values_list("student_number", "id"))
    links = set(StudentGuardian.objects.filter(student__school=school).values_list("student_id", "guardian_id"))
    new_links = []
    for p in plan.students:
        for position, g in enumerate(p.guardians):
            key = (student_ids[p.number], existing[indexes[g.mobile]])
            if key not in links:
                links.add(key)
                new_links.append(
                    StudentGuardian(
                        student_id=key[0], guardian_id=key[1], relation=g.relation, is_primary=position == 0
                    )
                )
    _create(StudentGuardian, new_links, created, "guardian_links")


def _ensure_places_and_contacts(school: School, created: dict[str, int]) -> None:
    venues = set(Venue.objects.filter(school=school).values_list("name", flat=True))
    _create(
        Venue,
        (
            Venue(school=school, name=name, location=location, capacity=capacity, kind=kind)
            for name, location, capacity, kind in VENUES
            if name not in venues
        ),
        created,
        "venues",
    )
    contacts = set(EmergencyContact.objects.filter(school=school).values_list("name", "title"))
    _create(
        EmergencyContact,
        (
            EmergencyContact(school=school, name=name, title=title, phone=phone, note=note, order=order)
            for order, (name, title, phone, note) in enumerate(EMERGENCY_CONTACTS, start=1)
            if (name, title) not in contacts
        ),
        created,
        "emergency_contacts",
    )


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def _ensure_term(school: School, created: dict[str, int]) -> None:
    term = Term.objects.filter(school=school, academic_year=TERM_YEAR, term_number=TermNumber.FIRST).first()
    if term is None:
        term = Term.objects.create(
            school=school,
            academic_year=TERM_YEAR,
            term_number=TermNumber.FIRST,
            starts_on=dt.date(2026, 9, 1),
            ends_on=dt.date(2027, 1, 22),
        )
        created["terms"] = 1
    windows = set(term.registration_windows.values_list("name", flat=True))
    _create(
        RegistrationWindow,
        (
            RegistrationWindow(term=term, name=name, opens_at=opens, closes_at=closes)
            for name, opens, closes in [
                ("秋季学期课后服务报名", _at(2026, 8, 25, 9), _at(2026, 8, 28, 17)),
                ("秋季学期补报名", _at(2026, 9, 7, 9), _at(2026, 9, 9, 17)),
            ]
            if name not in windows
        ),
        created,
        "registration_windows",
    )
    days: list[tuple[dt.date, str, int | None, str]] = [
        (dt.date(2026, 10, d), CalendarDayKind.HOLIDAY, None, "国庆节放假") for d in range(1, 8)
    ]
    days.append((dt.date(2026, 10, 10), CalendarDayKind.MAKEUP, 3, "国庆节调休上课，按星期三课表"))
    days.append((dt.date(2027, 1, 1), CalendarDayKind.HOLIDAY, None, "元旦放假"))
    known = set(term.calendar_days.values_list("date", flat=True))
    _create(
        CalendarDay,
        (
            CalendarDay(term=term, date=date, kind=kind, follows_weekday=follows, note=note)
            for date, kind, follows, note in days
            if date not in known
        ),
        created,
        "calendar_days",
    )


def _ensure_timetable(
    plan: Plan, classes: dict[tuple[int, str], SchoolClass], staff: dict[str, Staff], created: dict[str, int]
) -> None:
    grade1 = [classes[(1, f"{n}班")] for n in range(1, CLASSES_PER_GRADE + 1)]
    filled = set(
        TimetableEntry.objects.filter(school_class__in=grade1).values_list("school_class_id", flat=True).distinct()
    )
    rows = []
    for class_no, cells in grade1_timetable(plan).items():
        school_class = classes[(1, f"{class_no}班")]
        if school_class.pk in filled:
            continue
        for weekday, period, subject, teacher in cells:
            starts_at, ends_at = PERIODS[period - 1]
            rows.append(
                TimetableEntry(
                    school_class=school_class,
                    weekday=weekday,
                    period=period,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    subject=subject,
                    teacher=staff.get(teacher) if teacher else None,
                )
            )
    _create(TimetableEntry, rows, created, "timetable_entries")
