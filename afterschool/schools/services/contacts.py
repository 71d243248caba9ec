"""Writes of a school's emergency contacts: school admins (and system admins). Phone: mobile or landline."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import ValidationFailed
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.tenancy.actor import Actor

from ..models import EmergencyContact
from ..selectors import contacts as selectors
from ..validators import MOBILE_RE
from .structure import require_school_writer, school_for_write

CONTACT_FIELDS = ("name", "title", "phone", "order", "note")
# 区号 (010, 021, 0755 …) - 7 or 8 digits, optionally an extension.
LANDLINE_RE = re.compile(r"0[1-9][0-9]{1,2}-[2-9][0-9]{6,7}(-[0-9]{1,6})?")
PHONE_MESSAGE = "联系电话格式不正确：应为 11 位手机号（如 13800138000）或带区号的座机号（如 010-62001234）"


def normalize_phone(value: str) -> str:
    return (value or "").strip().replace(" ", "")


def is_valid_phone(value: str) -> bool:
    value = normalize_phone(value)
    return bool(MOBILE_RE.fullmatch(value) or LANDLINE_RE.fullmatch(value))


def _check_contact(contact: EmergencyContact) -> None:
    contact.phone = normalize_phone(contact.phone)
    if not is_valid_phone(contact.phone):
        raise ValidationFailed({"phone": [PHONE_MESSAGE]})


@transaction.atomic
def contact_create(*, actor: Actor, data: dict[str, Any]) -> EmergencyContact:
    contact = EmergencyContact(school=school_for_write(actor=actor, data=data))
    apply_changes(contact, data, allowed=CONTACT_FIELDS)
    _check_contact(contact)
    validate_and_save(contact)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=contact)
    return contact


@transaction.atomic
def contact_update(*, actor: Actor, contact: EmergencyContact, data: dict[str, Any]) -> EmergencyContact:
    require_school_writer(actor)
    contact = selectors.contact_get(actor=actor, contact_id=contact.pk)
    diff = apply_changes(contact, data, allowed=CONTACT_FIELDS)
    _check_contact(contact)
    validate_and_save(contact)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=contact, detail={"changes": diff})
    return contact


@transaction.atomic
def contact_delete(*, actor: Actor, contact: EmergencyContact) -> None:
    require_school_writer(actor)
    contact = selectors.contact_get(actor=actor, contact_id=contact.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=contact)
    delete_or_refuse(contact, what="应急联系人")
