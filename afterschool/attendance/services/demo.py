"""Demo attendance of 海淀实验小学, so the roll, the parent's view and the statistics have something to show:

- the school's check-in area (its own coordinates, or 39.959000 N 116.298000 E; 300 m);
- for every lesson of its running sections that is over (as of the real "now"): each placed student's attendance —
  about 92 % present, 3 % late, 2 % absent, 3 % on leave with an approved request from a guardian — with plausible
  check-in and check-out times, and the teachers' check-ins for about 95 % of the lessons (a few late, one with a
  position too poor to trust);
- one pending request of the demo parent's daughter 刘雨涵 for her next art lesson (家中有事).

Deterministic (every draw is a hash of the section, lesson number and person with a fixed seed), bulk inserts,
idempotent: what exists is left alone, so a second run writes nothing (and a run a week later adds that week).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core import timeutil
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.models import Enrollment
from afterschool.scheduling.choices import LessonStatus, SectionStatus
from afterschool.scheduling.models import Lesson, Section
from afterschool.schools.models import Student, StudentGuardian
from afterschool.tenancy.actor import system_actor
from afterschool.tenancy.models import School

from ..choices import AttendanceStatus, LeaveStatus
from ..models import AttendanceSettings, LeaveRequest, StudentAttendance, TeacherCheckin
from ..selectors.common import aware, lesson_end, lesson_start

SEED = "afterschool-demo-2026:attendance"
DEFAULT_CENTRE = (Decimal("39.959000"), Decimal("116.298000"))
RADIUS_M = 300
METRES_PER_DEGREE = 111_320
ART_SECTION = "少儿创意美术（周二班）"
FLAGGED_LESSON = (ART_SECTION, 2)  # the art section's second lesson: the teacher's phone had a poor fix
DEMO_CHILD = "刘雨涵"
LEAVE_REASONS = ["身体不适", "家中有事", "外出就医", "参加比赛"]


def _draw(*parts: Any) -> float:
    # Reproducible demo data, not a secret: the seeded PRNG is the point.
    return random.Random(":".join([SEED, *map(str, parts)])).random()  # noqa: S311


def _minutes(value: float, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(minutes=low + int(value * (high - low + 1)))


def _position(centre: tuple[Decimal, Decimal], distance: float, bearing: float) -> tuple[Decimal, Decimal]:
    """A point `distance` metres from the centre in direction `bearing` (radians), to 6 decimals."""
    lat, lon = float(centre[0]), float(centre[1])
    dlat = distance * math.cos(bearing) / METRES_PER_DEGREE
    dlon = distance * math.sin(bearing) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return Decimal(f"{lat + dlat:.6f}"), Decimal(f"{lon + dlon:.6f}")


@transaction.atomic
def demo_attendance_ensure(*, school: School) -> dict[str, int]:
    """Returns what was created: settings, student_attendance, leave_requests, teacher_checkins, pending_leave."""
    created = {"settings": 0, "student_attendance": 0, "leave_requests": 0, "teacher_checkins": 0, "pending_leave": 0}
    settings = AttendanceSettings.objects.filter(school=school).first()
    if settings is None:
        has_position = school.latitude is not None and school.longitude is not None
        latitude, longitude = (school.latitude, school.longitude) if has_position else DEFAULT_CENTRE
        settings = AttendanceSettings.objects.create(
            school=school, latitude=latitude, longitude=longitude, radius_m=RADIUS_M
        )
        created["settings"] = 1
    centre = (
        (settings.latitude, settings.longitude)
        if settings.latitude is not None and settings.longitude is not None
        else DEFAULT_CENTRE
    )
    now = timeutil.local_now()
    lessons = list(
        Lesson.objects.filter(
            Q(date__lt=now.date()) | Q(date=now.date(), ends_at__lte=now.time()),
            section__school=school,
            section__status__in=[SectionStatus.RUNNING, SectionStatus.FINISHED],
            status=LessonStatus.SCHEDULED,
        )
        .select_related("section")
        .prefetch_related("teachers")
        .order_by("date", "starts_at", "section_id")
    )
    created["student_attendance"], created["leave_requests"] = _students(lessons)
    created["teacher_checkins"] = _teachers(lessons, centre)
    created["pending_leave"] = _pending_leave(school, now)
    created = {key: count for key, count in created.items() if count}
    if created:
        record_write(actor=system_actor(), event=AuditEventType.CREATE, obj=school, detail={"demo_attendance": created})
    return {key: created.get(key, 0) for key in ("settings", "student_attendance", "leave_requests",
                                                 "teacher_checkins", "pending_leave")}  # fmt: skip


def _guardian_users(student_ids: set[int]) -> dict[int, int]:
    """student → the user of a guardian with a login (the primary one first)."""
    out: dict[int, int] = {}
    links = StudentGuardian.objects.filter(student_id__in=student_ids, guardian__user__isnull=False).order_by(
        "-is_primary", "pk"
    )
    for student_id, user_id in links.values_list("student_id", "guardian__user_id"):
        out.setdefault(student_id, user_id)
    return out


def _students(lessons: list[Lesson]) -> tuple[int, int]:
    """The placed students' attendance of each lesson that has none yet; the leaves with their requests."""
    placed: dict[int, list[tuple[int, str]]] = defaultdict(list)
    enrollments = Enrollment.objects.filter(
        section_id__in={lesson.section_id for lesson in lessons}, status=EnrollmentStatus.ACTIVE
    ).order_by("section_id", "student__student_number")
    for section_id, student_id, number in enrollments.values_list(
        "section_id", "student_id", "student__student_number"
    ):
        placed[section_id].append((student_id, number))
    existing = set(StudentAttendance.objects.filter(lesson__in=lessons).values_list("lesson_id", "student_id"))
    guardians = _guardian_users({student_id for rows in placed.values() for student_id, _ in rows})
    rows: list[StudentAttendance] = []
    leaves: list[tuple[StudentAttendance, LeaveRequest, Lesson]] = []
    for lesson in lessons:
        start, end = aware(lesson_start(lesson)), aware(lesson_end(lesson))
        teachers = list(lesson.teachers.all())
        marker = teachers[0].pk if teachers else None
        for student_id, number in placed[lesson.section_id]:
            if (lesson.pk, student_id) in existing:
                continue
            draw = _draw("student", lesson.section.name, lesson.number, number)
            came = _draw("in", lesson.section.name, lesson.number, number)
            left = _draw("out", lesson.section.name, lesson.number, number)
            row = StudentAttendance(lesson=lesson, student_id=student_id, marked_by_id=marker)
            if draw < 0.92:
                row.status = AttendanceStatus.PRESENT
                row.checked_in_at, row.checked_out_at = start - _minutes(came, 1, 8), end + _minutes(left, 0, 5)
            elif draw < 0.95:
                row.status = AttendanceStatus.LATE
                row.checked_in_at, row.checked_out_at = start + _minutes(came, 5, 20), end + _minutes(left, 0, 5)
            elif draw < 0.97:
                row.status = AttendanceStatus.ABSENT
            else:
                row.status, row.note = AttendanceStatus.LEAVE, "已请假"
                request = LeaveRequest(
                    student_id=student_id, section_id=lesson.section_id, status=LeaveStatus.APPROVED,
                    reason=LEAVE_REASONS[int(came * len(LEAVE_REASONS))], requested_by_id=guardians.get(student_id),
                    decided_by_id=marker, decided_at=start - dt.timedelta(hours=20), decision_note="同意",
                )  # fmt: skip
                leaves.append((row, request, lesson))
            rows.append(row)
    if leaves:
        requests = LeaveRequest.objects.bulk_create([request for _, request, _ in leaves])
        LeaveRequest.lessons.through.objects.bulk_create(
            [
                LeaveRequest.lessons.through(leaverequest_id=request.pk, lesson_id=lesson.pk)
                for request, (_, _, lesson) in zip(requests, leaves, strict=True)
            ]
        )
        for request, (row, _, _) in zip(requests, leaves, strict=True):
            row.leave = request
    StudentAttendance.objects.bulk_create(rows, batch_size=1000)
    return len(rows), len(leaves)


def _teachers(lessons: list[Lesson], centre: tuple[Decimal, Decimal]) -> int:
    """Check-ins of about 95 % of the lessons' teachers; a few late; one position flagged."""
    existing = set(TeacherCheckin.objects.filter(lesson__in=lessons).values_list("lesson_id", "teacher_id"))
    rows = []
    for lesson in lessons:
        start, end = aware(lesson_start(lesson)), aware(lesson_end(lesson))
        flagged = (lesson.section.name, lesson.number) == FLAGGED_LESSON
        for teacher in lesson.teachers.all():
            if (lesson.pk, teacher.pk) in existing:
                continue
            key = (lesson.section.name, lesson.number, teacher.username)
            if _draw("checkin", *key) >= 0.95 and not flagged:
                continue  # forgot to check in
            late = _draw("late", *key) < 0.08
            arrived = start + _minutes(_draw("at", *key), 2, 8) if late else start - _minutes(_draw("at", *key), 3, 14)
            distance = 5 + _draw("distance", *key) * 120
            latitude, longitude = _position(centre, distance, _draw("bearing", *key) * 2 * math.pi)
            row = TeacherCheckin(
                lesson=lesson, teacher=teacher, checked_in_at=arrived, in_latitude=latitude, in_longitude=longitude,
                in_distance_m=round(distance), in_accuracy_m=8 + int(_draw("accuracy", *key) * 38),
            )  # fmt: skip
            if flagged:
                row.in_accuracy_m, row.in_flagged = 160, True
            if _draw("checkout", *key) < 0.97:
                out_distance = 5 + _draw("out-distance", *key) * 120
                row.out_latitude, row.out_longitude = _position(
                    centre, out_distance, _draw("out-bearing", *key) * 2 * math.pi
                )
                row.checked_out_at = end + _minutes(_draw("out", *key), 0, 6)
                row.out_distance_m, row.out_accuracy_m = round(out_distance), 8 + int(_draw("out-acc", *key) * 38)
            rows.append(row)
    TeacherCheckin.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _pending_leave(school: School, now: dt.datetime) -> int:
    """刘雨涵's request for her next art lesson, waiting for a decision (unless one is pending already)."""
    child = Student.objects.filter(school=school, name=DEMO_CHILD).order_by("pk").first()
    section = Section.objects.filter(school=school, name=ART_SECTION).first()
    if child is None or section is None:
        return 0
    placed = Enrollment.objects.filter(section=section, student=child, status=EnrollmentStatus.ACTIVE).exists()
    if not placed or LeaveRequest.objects.filter(student=child, section=section, status=LeaveStatus.PENDING).exists():
        return 0
    upcoming = (
        Lesson.objects.filter(section=section, status=LessonStatus.SCHEDULED)
        .filter(Q(date__gt=now.date()) | Q(date=now.date(), starts_at__gt=now.time()))
        .order_by("date", "starts_at")
        .first()
    )
    if upcoming is None:
        return 0
    request = LeaveRequest.objects.create(
        student=child, section=section, reason="家中有事", requested_by_id=_guardian_users({child.pk}).get(child.pk)
    )
    request.lessons.set([upcoming])
    return 1
