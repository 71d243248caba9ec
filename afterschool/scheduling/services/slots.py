"""Writes of the slot grid (课后服务时段): school admins (and system admins). Two slots of one weekday of a school
may not overlap; "generate a standard week" adds Mon–Fri × 15:40–16:40 and 16:50–17:50 (or given times),
skipping slots that already exist and refusing any that would overlap an existing one."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.db import transaction

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.choices import Weekday
from afterschool.core.errors import ValidationFailed
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.schools.services.structure import require_school_writer, school_for_write
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..models import TimeSlot
from ..selectors import slots as selectors

SLOT_FIELDS = ("weekday", "starts_at", "ends_at", "name")
STANDARD_TIMES = ((dt.time(15, 40), dt.time(16, 40)), (dt.time(16, 50), dt.time(17, 50)))
STANDARD_WEEKDAYS = (1, 2, 3, 4, 5)


def _check_slot(slot: TimeSlot) -> None:
    if slot.starts_at and slot.ends_at and slot.ends_at <= slot.starts_at:
        raise ValidationFailed({"ends_at": ["结束时间须晚于开始时间"]})
    clash = (
        TimeSlot.objects.filter(
            school_id=slot.school_id, weekday=slot.weekday, starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at
        )
        .exclude(pk=slot.pk)
        .first()
    )
    if clash is not None:
        raise ValidationFailed({"starts_at": [f"与已有时段“{clash}”重叠"]})


def _lock_school(school_id: int) -> None:
    """Serialise grid writes of one school so two overlapping slots cannot both pass the check."""
    list(School.objects.select_for_update().filter(pk=school_id).values_list("pk", flat=True))


@transaction.atomic
def time_slot_create(*, actor: Actor, data: dict[str, Any]) -> TimeSlot:
    slot = TimeSlot(school=school_for_write(actor=actor, data=data))
    apply_changes(slot, data, allowed=SLOT_FIELDS)
    _lock_school(slot.school_id)
    _check_slot(slot)
    validate_and_save(slot)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=slot)
    return slot


@transaction.atomic
def time_slot_update(*, actor: Actor, slot: TimeSlot, data: dict[str, Any]) -> TimeSlot:
    require_school_writer(actor)
    slot = selectors.time_slot_get(actor=actor, slot_id=slot.pk)
    diff = apply_changes(slot, data, allowed=SLOT_FIELDS)
    _lock_school(slot.school_id)
    _check_slot(slot)
    validate_and_save(slot)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=slot, detail={"changes": diff})
    return slot


@transaction.atomic
def time_slot_delete(*, actor: Actor, slot: TimeSlot) -> None:
    """Sections that allowed or preferred the slot simply lose it; weekly slots keep their times."""
    require_school_writer(actor)
    slot = selectors.time_slot_get(actor=actor, slot_id=slot.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=slot)
    delete_or_refuse(slot, what="课后服务时段")


@transaction.atomic
def time_slots_generate_week(
    *, actor: Actor, data: dict[str, Any] | None = None,
    weekdays: tuple[int, ...] = STANDARD_WEEKDAYS, times: tuple[tuple[dt.time, dt.time], ...] = STANDARD_TIMES,
) -> list[TimeSlot]:  # fmt: skip
    """Add the standard week; returns the slots created (existing identical slots are kept, not duplicated).
    Refused as a whole if one would overlap a different existing slot."""
    school = school_for_write(actor=actor, data=data or {})
    _lock_school(school.pk)
    if not weekdays or not times:
        raise ValidationFailed({"weekdays": ["请至少选择一天和一个时段"]})
    for starts_at, ends_at in times:
        if ends_at <= starts_at:
            raise ValidationFailed({"times": [f"{starts_at:%H:%M}–{ends_at:%H:%M}：结束时间须晚于开始时间"]})
    ordered = sorted(times)
    for (_, end_a), (start_b, _) in itertools.pairwise(ordered):
        if start_b < end_a:
            raise ValidationFailed({"times": ["给出的时段互相重叠"]})
    created: list[TimeSlot] = []
    for weekday in weekdays:
        if weekday not in Weekday.values:
            raise ValidationFailed({"weekdays": [f"无效的星期：{weekday}"]})
        for index, (starts_at, ends_at) in enumerate(ordered, start=1):
            if TimeSlot.objects.filter(school=school, weekday=weekday, starts_at=starts_at, ends_at=ends_at).exists():
                continue
            slot = TimeSlot(school=school, weekday=weekday, starts_at=starts_at, ends_at=ends_at, name=f"第{index}时段")
            _check_slot(slot)
            validate_and_save(slot)
            created.append(slot)
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=school,
        detail={"what": "time_slots_generate_week", "created": [s.pk for s in created]},
    )  # fmt: skip
    return created
