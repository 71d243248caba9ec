"""Teachers' check-in and check-out (教师签到/签退, §5.3.2) from the phone's position.

Rules (the school's AttendanceSettings; a venue's own area replaces the school's circle):
- only a teacher of the lesson (school staff or an organization's teacher dispatched to it: `Lesson.teachers`),
  and not for a cancelled lesson; anyone else gets NotFound, exactly as if the lesson did not exist;
- check-in from `start − checkin_opens_minutes` to `start + checkin_closes_minutes`, check-out from
  `end − checkout_opens_minutes` to `end + checkout_closes_minutes`; both ends are inclusive at the minute (the
  window "15:25–15:50" includes 15:50:59); the refusal names the window and the time now;
- the distance from the centre, rounded to whole metres, must not exceed the radius (on the boundary passes);
  the refusal names both;
- a position less accurate than `max_accuracy_m` is accepted but flagged for the school to check;
- one check-in per teacher and lesson: the lesson row is locked while deciding, and the unique constraint is the
  last guard (a second check-in is a 409); check-out needs the check-in and happens once.
Each check-in and check-out is audited with the position, distance and accuracy.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.models import User
from afterschool.accounts.services import record_write
from afterschool.core import timeutil
from afterschool.core.errors import Conflict, NotFound, ValidationFailed
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson
from afterschool.tenancy.actor import Actor

from .. import geo
from ..models import AttendanceSettings, TeacherCheckin
from ..selectors.common import lesson_end, lesson_start, settings_for, taught_lessons
from ..selectors.geofence import area_for

MAX_ACCURACY_INPUT_M = 10_000_000  # a phone reports at worst a few tens of kilometres; beyond this is garbage


@dataclass(frozen=True)
class Window:
    opens: dt.datetime  # naive wall-clock, inclusive
    closes: dt.datetime  # naive wall-clock, inclusive (the whole minute)

    def contains(self, now: dt.datetime) -> bool:
        return self.opens <= now.replace(second=0, microsecond=0) <= self.closes

    def text(self, now: dt.datetime | None = None) -> str:
        """ "15:25–15:50"; with the date when `now` is on another day, and on both ends when the window spans
        midnight."""
        if self.opens.date() != self.closes.date():
            return f"{_day(self.opens)} {self.opens:%H:%M}–{_day(self.closes)} {self.closes:%H:%M}"
        if now is not None and now.date() != self.opens.date():
            return f"{_day(self.opens)} {self.opens:%H:%M}–{self.closes:%H:%M}"
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


def _day(moment: dt.datetime) -> str:
    return f"{moment.month}月{moment.day}日"


def _now_text(window: Window, now: dt.datetime) -> str:
    return f"{now:%H:%M}" if now.date() == window.opens.date() else f"{_day(now)} {now:%H:%M}"


def checkin_window(lesson: Lesson, settings: AttendanceSettings) -> Window:
    start = lesson_start(lesson)
    return Window(
        start - dt.timedelta(minutes=settings.checkin_opens_minutes),
        start + dt.timedelta(minutes=settings.checkin_closes_minutes),
    )


def checkout_window(lesson: Lesson, settings: AttendanceSettings) -> Window:
    end = lesson_end(lesson)
    return Window(
        end - dt.timedelta(minutes=settings.checkout_opens_minutes),
        end + dt.timedelta(minutes=settings.checkout_closes_minutes),
    )


@dataclass(frozen=True)
class Position:
    latitude: Decimal
    longitude: Decimal
    accuracy_m: int


def clean_position(latitude: Any, longitude: Any, accuracy_m: Any) -> Position:
    """The phone's position, checked: ValidationFailed naming each bad field in Chinese."""
    errors: dict[str, list[str]] = {}
    if latitude in (None, "") and longitude in (None, ""):
        raise ValidationFailed(
            {"latitude": ["未获取到位置：请允许浏览器使用定位后重试"]}, message="未获取到位置，无法签到或签退"
        )
    for field, error in (("latitude", geo.latitude_error(latitude)), ("longitude", geo.longitude_error(longitude))):
        if error:
            errors[field] = [error]
    accuracy = geo.as_number(accuracy_m)
    if accuracy is None or not 0 <= accuracy <= MAX_ACCURACY_INPUT_M:
        errors["accuracy_m"] = ["定位精度须是 0 以上的米数"]
    if errors:
        raise ValidationFailed(errors, message="；".join(m for ms in errors.values() for m in ms))
    assert accuracy is not None
    return Position(geo.as_coordinate(latitude), geo.as_coordinate(longitude), math.ceil(accuracy))


def _person(actor: Actor) -> User:
    if actor.user is None:
        raise NotFound()
    return actor.user


def _teaching(actor: Actor, lesson: Lesson) -> Lesson:
    """The lesson, locked, if the actor teaches it; NotFound otherwise; a cancelled lesson is refused."""
    if not taught_lessons(actor).filter(pk=lesson.pk).exists():
        raise NotFound()
    locked = (
        Lesson.objects.select_for_update(of=("self",))
        .select_related("section", "section__school", "venue")
        .get(pk=lesson.pk)
    )
    if locked.status == LessonStatus.CANCELLED:
        raise Conflict("lesson_cancelled", "本次课已停课，无需签到签退")
    return locked


def _measure(lesson: Lesson, position: Position, *, verb: str) -> int:
    """Distance in whole metres from the lesson's area centre; refused beyond the radius."""
    area = area_for(lesson)
    distance = round(geo.distance_m(area.latitude, area.longitude, position.latitude, position.longitude))
    if distance > area.radius_m:
        raise Conflict(
            "outside_area",
            f"您距签到点 {distance} 米，超出 {area.radius_m} 米范围，不能{verb}",
            detail={"distance_m": distance, "radius_m": area.radius_m, "area": area.label},
        )
    return distance


def _audit_detail(action: str, lesson: Lesson, position: Position, distance: int, flagged: bool) -> dict[str, Any]:
    return {
        "what": action, "lesson": lesson.pk, "latitude": str(position.latitude),
        "longitude": str(position.longitude), "accuracy_m": position.accuracy_m, "distance_m": distance,
        "flagged": flagged,
    }  # fmt: skip


@transaction.atomic
def teacher_check_in(actor: Actor, lesson: Lesson, latitude: Any, longitude: Any, accuracy_m: Any) -> TeacherCheckin:
    """A teacher of the lesson checks in within the window and the area (see the module's rules)."""
    lesson = _teaching(actor, lesson)
    position = clean_position(latitude, longitude, accuracy_m)
    if TeacherCheckin.objects.filter(lesson=lesson, teacher_id=actor.user_id).exists():
        raise Conflict("already_checked_in", "您已签到过本次课")
    settings = settings_for(lesson.section.school)
    now = timeutil.local_now()
    window = checkin_window(lesson, settings)
    if not window.contains(now):
        raise Conflict(
            "outside_checkin_window",
            f"签到时间为 {window.text(now)}，现在是 {_now_text(window, now)}",
            detail={"opens": window.opens.isoformat(), "closes": window.closes.isoformat()},
        )
    distance = _measure(lesson, position, verb="签到")
    flagged = position.accuracy_m > settings.max_accuracy_m
    try:
        with transaction.atomic():
            row = TeacherCheckin.objects.create(
                lesson=lesson, teacher=_person(actor), checked_in_at=timeutil.now(),
                in_latitude=position.latitude, in_longitude=position.longitude, in_accuracy_m=position.accuracy_m,
                in_distance_m=distance, in_flagged=flagged,
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("already_checked_in", "您已签到过本次课") from None
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=row,
        detail=_audit_detail("teacher_check_in", lesson, position, distance, flagged),
    )  # fmt: skip
    return row


@transaction.atomic
def teacher_check_out(actor: Actor, lesson: Lesson, latitude: Any, longitude: Any, accuracy_m: Any) -> TeacherCheckin:
    """A teacher who checked in checks out within the check-out window and the area."""
    lesson = _teaching(actor, lesson)
    position = clean_position(latitude, longitude, accuracy_m)
    row = TeacherCheckin.objects.select_for_update().filter(lesson=lesson, teacher_id=actor.user_id).first()
    if row is None:
        raise Conflict("not_checked_in", "您还没有签到，不能签退")
    if row.checked_out_at is not None:
        raise Conflict("already_checked_out", "您已签退过本次课")
    settings = settings_for(lesson.section.school)
    now = timeutil.local_now()
    window = checkout_window(lesson, settings)
    if not window.contains(now):
        raise Conflict(
            "outside_checkout_window",
            f"签退时间为 {window.text(now)}，现在是 {_now_text(window, now)}",
            detail={"opens": window.opens.isoformat(), "closes": window.closes.isoformat()},
        )
    distance = _measure(lesson, position, verb="签退")
    flagged = position.accuracy_m > settings.max_accuracy_m
    row.checked_out_at = timeutil.now()
    row.out_latitude, row.out_longitude = position.latitude, position.longitude
    row.out_accuracy_m, row.out_distance_m, row.out_flagged = position.accuracy_m, distance, flagged
    row.save()
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=row,
        detail=_audit_detail("teacher_check_out", lesson, position, distance, flagged),
    )  # fmt: skip
    return row


def outcome_message(row: TeacherCheckin, *, out: bool) -> str:
    """What the teacher is told after a successful check-in (out=False) or check-out (out=True)."""
    settings = settings_for(row.lesson.section.school_id)
    moment = row.checked_out_at if out else row.checked_in_at
    distance = row.out_distance_m if out else row.in_distance_m
    accuracy = row.out_accuracy_m if out else row.in_accuracy_m
    flagged = row.out_flagged if out else row.in_flagged
    assert moment is not None
    when = timezone.localtime(moment)
    text = f"{'签退' if out else '签到'}成功（{when:%H:%M}，距签到点 {distance} 米）"
    if flagged:
        text += f"。定位误差 {accuracy} 米，超过学校要求的 {settings.max_accuracy_m} 米，已标记，待学校核实"
    return text
