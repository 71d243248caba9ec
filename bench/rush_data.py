"""The district of bench_enrol_rush.py, bulk-loaded, and the checks run after each rush.

A district of `schools` schools with 6 grades of 2 classes each, `students` students spread evenly, one parent
account per student (unusable password, parent membership, Guardian + StudentGuardian link), and `sections`
走班 sections spread evenly over the schools, each open to two adjacent grades, in a registration window open
now, with `seats` seats, a fee (so a place is held by a PENDING order) and one weekly slot; sections of the same
grade pair meet on the same weekday at overlapping times now and then, so the time-conflict check has work.
Everything is bulk_created (no password hashing, no per-row services): a benchmark may bulk-load.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

GRADES = 6
CLASSES_PER_GRADE = 2
GRADE_PAIRS = ((1, 2), (3, 4), (5, 6))
GRADE_NAMES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级")
UNUSABLE_PASSWORD = "!bench-no-password"  # starts with "!": Django treats it as unusable
SLOT_TIMES = ((dt.time(15, 40), dt.time(16, 40)), (dt.time(16, 10), dt.time(17, 10)))


@dataclass
class District:
    student_ids: list[int] = field(default_factory=list)
    student_school: dict[int, int] = field(default_factory=dict)
    student_grade_level: dict[int, int] = field(default_factory=dict)
    parent_of: dict[int, int] = field(default_factory=dict)  # student id -> parent user id
    membership_of: dict[int, int] = field(default_factory=dict)  # parent user id -> membership id
    sections_for: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (school id, level) -> sections
    section_school: dict[int, int] = field(default_factory=dict)
    seats: int = 0


def load(*, schools: int, students: int, sections: int, seats: int) -> District:
    from django.utils import timezone

    from afterschool.accounts.choices import Role
    from afterschool.accounts.models import RoleMembership, User
    from afterschool.core.choices import CourseCategory
    from afterschool.courses.models import Course, CourseOffer
    from afterschool.scheduling.choices import SectionMode, SectionStatus
    from afterschool.scheduling.models import Section, SectionSlot
    from afterschool.schools.models import (
        Grade,
        Guardian,
        RegistrationWindow,
        SchoolClass,
        Student,
        StudentGuardian,
        Term,
    )
    from afterschool.tenancy.models import Region, School

    now = timezone.now()
    district = District(seats=seats * sections)
    province = Region.objects.create(code="110000", name="北京市", level="province")
    city = Region.objects.create(code="110100", name="市辖区", level="city", parent=province)
    region = Region.objects.create(code="110108", name="海淀区", level="district", parent=city)
    school_rows = School.objects.bulk_create(
        School(code=f"21110{n:05d}", name=f"基准小学{n}", region=region, school_type="primary") for n in range(schools)
    )
    terms = Term.objects.bulk_create(
        Term(school=s, academic_year=2026, term_number=1, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 1, 20))
        for s in school_rows
    )
    windows = RegistrationWindow.objects.bulk_create(
        RegistrationWindow(term=t, name="秋季选课", opens_at=now - dt.timedelta(hours=1),
                           closes_at=now + dt.timedelta(days=1))
        for t in terms
    )  # fmt: skip
    grades = Grade.objects.bulk_create(
        Grade(school=s, level=level, name=GRADE_NAMES[level - 1]) for s in school_rows for level in range(1, GRADES + 1)
    )
    grade_of = {(g.school_id, g.level): g for g in grades}
    level_of = {g.pk: g.level for g in grades}
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(school_id=g.school_id, grade=g, name=f"{c}班")
        for g in grades
        for c in range(1, CLASSES_PER_GRADE + 1)
    )
    classes_of: dict[int, list[SchoolClass]] = {}
    for c in classes:
        classes_of.setdefault(c.grade_id, []).append(c)

    # Students, evenly over schools, grades and classes.
    student_rows = []
    for n in range(students):
        school = school_rows[n % schools]
        grade = grade_of[(school.pk, (n // schools) % GRADES + 1)]
        klass = classes_of[grade.pk][(n // (schools * GRADES)) % CLASSES_PER_GRADE]
        student_rows.append(
            Student(school=school, student_number=f"B{n:07d}", name=f"学生{n}", gender="male" if n % 2 else "female",
                    grade=grade, school_class=klass)
        )  # fmt: skip
    student_rows = Student.objects.bulk_create(student_rows, batch_size=2000)
    users = User.objects.bulk_create(
        (User(username=f"parent{n:07d}", password=UNUSABLE_PASSWORD, display_name=f"家长{n}") for n in range(students)),
        batch_size=2000,
    )
    memberships = RoleMembership.objects.bulk_create(
        (
            RoleMembership(user=u, role=Role.PARENT, school_id=s.school_id)
            for u, s in zip(users, student_rows, strict=True)
        ),
        batch_size=2000,
    )
    guardians = Guardian.objects.bulk_create(
        # The mobile is never read on the enrolment path; a placeholder keeps the load free of per-row encryption.
        (
            Guardian(name=f"家长{n}", mobile_encrypted="", mobile_index=f"bench-{n}", user=u)
            for n, u in enumerate(users)
        ),
        batch_size=2000,
    )
    StudentGuardian.objects.bulk_create(
        (StudentGuardian(student=s, guardian=g, relation="father", is_primary=True)
         for s, g in zip(student_rows, guardians, strict=True)),
        batch_size=2000,
    )  # fmt: skip
    for s, u, m in zip(student_rows, users, memberships, strict=True):
        district.student_ids.append(s.pk)
        district.student_school[s.pk] = s.school_id
        district.student_grade_level[s.pk] = level_of[s.grade_id]
        district.parent_of[s.pk] = u.pk
        district.membership_of[u.pk] = m.pk

    # Sections: course + approved offer + section + grades + one weekly slot.
    categories = [value for value, _ in CourseCategory.choices]
    courses = Course.objects.bulk_create(
        Course(owner_school=school_rows[k % schools], name=f"课程{k}", category=categories[k % len(categories)],
               grade_levels=list(GRADE_PAIRS[(k // schools) % 3]))
        for k in range(sections)
    )  # fmt: skip
    CourseOffer.objects.bulk_create(
        CourseOffer(course=c, school_id=c.owner_school_id, status="approved", submitted_at=now, decided_at=now)
        for c in courses
    )
    window_of = {t.school_id: w for t, w in zip(terms, windows, strict=True)}
    term_of = {t.school_id: t for t in terms}
    section_rows = Section.objects.bulk_create(
        Section(school_id=c.owner_school_id, term=term_of[c.owner_school_id], course=c, name=f"课班{k}",
                mode=SectionMode.WALKING, status=SectionStatus.OPEN, fee_fen=20000, min_students=1,
                max_students=seats, starts_on=dt.date(2026, 9, 7), ends_on=dt.date(2027, 1, 15),
                registration_window=window_of[c.owner_school_id])
        for k, c in enumerate(courses)
    )  # fmt: skip
    links = []
    slots = []
    for k, (section, course) in enumerate(zip(section_rows, courses, strict=True)):
        local = k // schools  # the section's number within its school
        for level in course.grade_levels:
            links.append(
                Section.grades.through(section_id=section.pk, grade_id=grade_of[(section.school_id, level)].pk)
            )
            district.sections_for.setdefault((section.school_id, level), []).append(section.pk)
        starts_at, ends_at = SLOT_TIMES[(local // 3) % 2]
        slots.append(SectionSlot(section=section, weekday=1 + (local // 3) % 3, starts_at=starts_at, ends_at=ends_at))
        district.section_school[section.pk] = section.school_id
    Section.grades.through.objects.bulk_create(links)
    SectionSlot.objects.bulk_create(slots)
    return district


def plan(district: District, *, requests: int, hot_share: float, seed: int = 2026) -> list[tuple[int, int]]:
    """(student id, section id) per request: a random child and a section open to the child's grade — with
    probability `hot_share` the popular one (the first of the child's grade at its school), else any of them."""
    rng = random.Random(seed)
    out = []
    while len(out) < requests:
        student = rng.choice(district.student_ids)
        options = district.sections_for.get((district.student_school[student], district.student_grade_level[student]))
        if options:
            out.append((student, options[0] if rng.random() < hot_share else rng.choice(options)))
    return out


def sessions(district: District, user_ids: set[int]) -> dict[int, str]:
    """A logged-in database session per parent, written directly (no password, no login view): user id -> key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from afterschool.accounts.models import User
    from afterschool.accounts.services import ACTIVE_MEMBERSHIP_SESSION_KEY

    store = SessionStore()
    expires = timezone.now() + dt.timedelta(days=1)
    keys: dict[int, str] = {}
    rows = []
    for user in User.objects.filter(pk__in=user_ids).only("pk", "password"):
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "afterschool.accounts.backends.UsernameOrMobileBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            ACTIVE_MEMBERSHIP_SESSION_KEY: district.membership_of[user.pk],
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys[user.pk] = key
    Session.objects.bulk_create(rows, batch_size=2000)
    return keys


@dataclass
class Check:
    seats_held: int
    full_sections: int
    oversell: int
    duplicates: int
    time_clashes: int

    @property
    def ok(self) -> bool:
        return self.oversell == 0 and self.duplicates == 0 and self.time_clashes == 0


def check() -> Check:
    """Oversell = Σ max(0, seats held − max_students); duplicates = a student holding two places in one section;
    time clashes = a student holding places in two sections whose weekly slots overlap."""
    from django.db import connection

    from afterschool.enrollment.choices import SEAT_HOLDING
    from afterschool.enrollment.models import Enrollment
    from afterschool.scheduling.models import Section, SectionSlot

    e, s, sl = Enrollment._meta.db_table, Section._meta.db_table, SectionSlot._meta.db_table
    holding = [str(v) for v in SEAT_HOLDING]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), COALESCE(SUM(CASE WHEN n >= s.max_students THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(GREATEST(n - s.max_students, 0)), 0) FROM {s} s JOIN "
            f"(SELECT section_id, count(*) AS n FROM {e} WHERE status = ANY(%s) GROUP BY section_id) t "
            f"ON t.section_id = s.id",
            [holding],
        )
        _, full, oversell = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {e} WHERE status = ANY(%s)", [holding])
        (held,) = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {e} WHERE status = ANY(%s) GROUP BY section_id, student_id "
            f"HAVING count(*) > 1) d",
            [holding],
        )
        (duplicates,) = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FROM {e} a JOIN {e} b ON a.student_id = b.student_id AND a.section_id < b.section_id "
            f"JOIN {sl} x ON x.section_id = a.section_id JOIN {sl} y ON y.section_id = b.section_id "
            f"WHERE a.status = ANY(%s) AND b.status = ANY(%s) AND x.weekday = y.weekday "
            f"AND x.starts_at < y.ends_at AND y.starts_at < x.ends_at",
            [holding, holding],
        )
        (clashes,) = cursor.fetchone()
    return Check(seats_held=held, full_sections=int(full), oversell=int(oversell), duplicates=duplicates,
                 time_clashes=clashes)  # fmt: skip


def reset_places() -> None:
    """Empty the places, orders and their side rows, so the next rush starts from the same empty district."""
    from django.db import connection

    from afterschool.enrollment.models import Enrollment
    from afterschool.notifications.models import Notification
    from afterschool.payments.models import Order
    from afterschool.scheduling.models import SectionEvent

    tables = ", ".join(m._meta.db_table for m in (Order, Enrollment, SectionEvent, Notification))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
