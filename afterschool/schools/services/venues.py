"""Writes of venues (场地): school admins (and system admins). Capacity is a positive number of people."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import ValidationFailed
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.tenancy.actor import Actor

from ..models import Venue
from ..selectors import venues as selectors
from .structure import require_school_writer, school_for_write

VENUE_FIELDS = ("name", "location", "capacity", "kind", "is_active")


def _check_venue(venue: Venue) -> None:
    if isinstance(venue.capacity, int) and venue.capacity <= 0:
        raise ValidationFailed({"capacity": ["容量须大于 0"]})
    if Venue.objects.filter(school_id=venue.school_id, name=venue.name).exclude(pk=venue.pk).exists():
        raise ValidationFailed({"name": [f"本校已有名为“{venue.name}”的场地"]})


@transaction.atomic
def venue_create(*, actor: Actor, data: dict[str, Any]) -> Venue:
    venue = Venue(school=school_for_write(actor=actor, data=data))
    apply_changes(venue, data, allowed=VENUE_FIELDS)
    _check_venue(venue)
    validate_and_save(venue)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=venue)
    return venue


@transaction.atomic
def venue_update(*, actor: Actor, venue: Venue, data: dict[str, Any]) -> Venue:
    require_school_writer(actor)
    venue = selectors.venue_get(actor=actor, venue_id=venue.pk)
    diff = apply_changes(venue, data, allowed=VENUE_FIELDS)
    _check_venue(venue)
    validate_and_save(venue)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=venue, detail={"changes": diff})
    return venue


@transaction.atomic
def venue_delete(*, actor: Actor, venue: Venue) -> None:
    """Refused while anything (a section, a lesson …) refers to the venue; deactivate it instead."""
    require_school_writer(actor)
    venue = selectors.venue_get(actor=actor, venue_id=venue.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=venue)
    delete_or_refuse(venue, what="场地")
