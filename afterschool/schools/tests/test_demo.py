"""The demo population of 海淀实验小学: realistic, valid, deterministic and idempotent."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.models import AuditEvent, RoleMembership, User
from afterschool.core.demo import load_demo
from afterschool.core.errors import PermissionDenied
from afterschool.schools.models import (
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
from afterschool.schools.services.demo import build_plan, demo_population_ensure, grade1_timetable
from afterschool.schools.validators import birth_date_from_id, validate_id_number, validate_mobile
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School
from afterschool.tenancy.scoping import scoped

pytestmark = pytest.mark.django_db

MODELS = [
    Grade,
    SchoolClass,
    Staff,
    Guardian,
    Student,
    StudentGuardian,
    Venue,
    EmergencyContact,
    Term,
    RegistrationWindow,
    CalendarDay,
    TimetableEntry,
]


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _actor(username: str) -> Actor:
    membership = RoleMembership.objects.select_related("user").filter(user__username=username).first()
    assert membership is not None
    return Actor(user=membership.user, membership=membership)


@pytest.fixture
def demo() -> School:
    load_demo()
    return School.objects.get(code="2111080001")


def test_given_demo_loaded_when_loaded_again_then_nothing_changes(demo: School) -> None:
    before = _counts()
    audit_before = AuditEvent.objects.count()
    result = load_demo()
    assert result["population_created"] == {}
    assert _counts() == before
    assert AuditEvent.objects.count() == audit_before  # not even an audit row


def test_given_demo_loaded_then_population_is_realistic(demo: School) -> None:
    assert list(Grade.objects.filter(school=demo).values_list("level", "name")) == [
        (1, "一年级"), (2, "二年级"), (3, "三年级"), (4, "四年级"), (5, "五年级"), (6, "六年级"),
    ]  # fmt: skip
    classes = SchoolClass.objects.filter(school=demo).annotate(n=Count("students"))
    assert classes.count() == 24
    assert all(36 <= c.n <= 44 for c in classes)
    assert all(c.head_teacher_id is not None for c in classes)
    assert len({c.head_teacher_id for c in classes}) == 24
    students = Student.objects.filter(school=demo)
    assert 900 <= students.count() <= 1020
    assert 1300 <= Guardian.objects.count() <= 1700
    guardian_counts = Counter(
        StudentGuardian.objects.filter(student__school=demo).values_list("student_id", flat=True)
    ).values()
    assert set(guardian_counts) <= {1, 2} and len(guardian_counts) == students.count()
    with_siblings = Guardian.objects.annotate(n=Count("students")).filter(n=2).count()
    assert with_siblings >= 20
    assert not Guardian.objects.annotate(n=Count("students")).filter(n__gt=2).exists()
    # Only the demo parent has a login to sign in with; the feedback demo gives the guardians of two sections'
    # students accounts without a password (so their evaluations have an author).
    signed_in = (
        Guardian.objects.exclude(user=None).exclude(user__username="parent").exclude(user__password__startswith="!")
    )
    assert not signed_in.exists()
    staff = Staff.objects.filter(school=demo)
    assert 55 <= staff.count() <= 70
    subjects = set(staff.values_list("subjects", flat=True))
    assert {"语文", "数学", "英语", "体育", "音乐", "美术", "科学"} <= subjects
    assert 10 <= Venue.objects.filter(school=demo).count() <= 14
    assert len(set(Venue.objects.filter(school=demo).values_list("kind", flat=True))) >= 6
    assert 3 <= EmergencyContact.objects.filter(school=demo).count() <= 4


def test_given_demo_students_then_id_numbers_valid_and_birth_dates_match_grade(demo: School) -> None:
    seen = set()
    for student in Student.objects.filter(school=demo).select_related("grade"):
        id_number = student.id_number
        try:
            validate_id_number(id_number)
        except ValidationError as exc:  # pragma: no cover - reported as a failure
            pytest.fail(f"{student.name}: {id_number} {exc}")
        assert id_number not in seen
        seen.add(id_number)
        birth = birth_date_from_id(id_number)
        assert birth == student.birth_date
        # Grade n in the 2026–2027 year: turned 5 + n between 2025-09-01 and 2026-08-31.
        level = student.grade.level
        assert dt.date(2021 - level, 9, 1) <= birth <= dt.date(2022 - level, 8, 31), (student.name, level, birth)
        assert int(id_number[16]) % 2 == (1 if student.gender == "male" else 0)
        assert student.id_number_masked != id_number


def test_given_demo_then_mobiles_valid_and_unique(demo: School) -> None:
    guardian_mobiles = [g.mobile for g in Guardian.objects.all()]
    staff_mobiles = [s.mobile for s in Staff.objects.filter(school=demo)]
    everything = guardian_mobiles + staff_mobiles
    assert len(everything) == len(set(everything))
    for mobile in everything:
        validate_mobile(mobile)
        assert mobile.startswith("13")


def test_given_demo_parent_when_scoped_then_sees_its_two_children_only(demo: School) -> None:
    parent = User.objects.get(username="parent")
    children = scoped(Student.objects.all(), _actor("parent"))
    assert sorted(children.values_list("name", flat=True)) == ["刘小明", "刘雨涵"]
    guardian = Guardian.objects.get(user=parent)
    assert guardian.mobile == "13800000001"
    assert Student.objects.get(name="刘小明", school=demo).user == User.objects.get(username="student")


def test_given_demo_teacher_then_staff_record_heads_a_grade1_class_with_timetable(demo: School) -> None:
    teacher = User.objects.get(username="teacher")
    staff = Staff.objects.get(user=teacher)
    assert staff.school == demo and staff.mobile == "13800000002" and staff.subjects == "语文"
    school_class = SchoolClass.objects.get(head_teacher=staff)
    assert str(school_class) == "一年级1班"
    assert TimetableEntry.objects.filter(teacher=staff, subject="语文").count() == 8


def test_given_demo_then_term_windows_and_calendar(demo: School) -> None:
    term = Term.objects.get(school=demo)
    assert (term.academic_year, term.term_number) == (2026, 1)
    assert (term.starts_on, term.ends_on) == (dt.date(2026, 9, 1), dt.date(2027, 1, 22))
    assert term.registration_windows.exists()
    days = {d.date: d for d in term.calendar_days.all()}
    for day in range(1, 8):
        assert days[dt.date(2026, 10, day)].kind == "holiday"
    assert days[dt.date(2027, 1, 1)].kind == "holiday"
    makeups = [d for d in days.values() if d.kind == "makeup"]
    assert makeups and all(d.follows_weekday for d in makeups)


def test_given_demo_then_grade1_timetable_full_and_no_teacher_in_two_rooms(demo: School) -> None:
    entries = TimetableEntry.objects.filter(school_class__grade__school=demo)
    assert set(entries.values_list("school_class__grade__level", flat=True)) == {1}
    per_class = Counter(entries.values_list("school_class_id", flat=True))
    assert sorted(per_class.values()) == [30, 30, 30, 30]
    slots = Counter(entries.exclude(teacher=None).values_list("teacher_id", "weekday", "period"))
    assert max(slots.values()) == 1
    assert not entries.filter(teacher=None).exists()


def test_given_same_seed_when_planning_twice_then_identical() -> None:
    first, second = build_plan(), build_plan()
    assert [(s.number, s.name, s.id_number) for s in first.students] == [
        (s.number, s.name, s.id_number) for s in second.students
    ]
    assert grade1_timetable(first) == grade1_timetable(second)


def test_given_partly_deleted_population_when_reloaded_then_only_missing_rows_return(demo: School) -> None:
    before = _counts()
    Venue.objects.filter(school=demo, name="体育馆").delete()
    student = Student.objects.filter(school=demo).order_by("student_number").last()
    assert student is not None
    links = student.guardian_links.count()
    student.guardian_links.all().delete()
    student.delete()
    created = load_demo()["population_created"]
    assert created == {"students": 1, "guardian_links": links, "venues": 1}
    assert _counts() == before
    assert AuditEvent.objects.filter(event=AuditEventType.CREATE, object_id=str(demo.pk)).exists()


def test_given_non_system_actor_when_ensuring_population_then_refused(demo: School) -> None:
    with pytest.raises(PermissionDenied):
        demo_population_ensure(actor=_actor("school"), school=demo)
