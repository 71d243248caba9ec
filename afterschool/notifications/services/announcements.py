"""School announcements (学校公告, §5.4.5 学校通知): a school admin tells all parents of its school, a grade's, a
class's or a section's parents, or its teachers.

Who sends: the school's admins for their school; a system admin for any school. Rules: a title (≤ 60 characters)
and a body (≤ 2000) are required; the grade, class or section the audience names must be the school's (another
school's answers exactly like one that does not exist); an audience nobody would receive is refused. The
announcement, one notification per recipient (kind announcement, linking to the announcement's page) and the audit
row are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.urls import reverse

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import NotFound, ValidationFailed
from afterschool.scheduling.models import Section
from afterschool.schools.models import Grade, SchoolClass
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..choices import Audience, NotificationKind
from ..models import Announcement
from ..selectors import announcements as selectors
from .inbox import notify

TITLE_MAX = 60
BODY_MAX = 2000
NO_RECIPIENTS = "没有可通知的对象"
ID_MAX = 2**62

# audience → (field naming its target, the queryset it is chosen from, the message when missing or not the school's)
TARGETS: dict[str, tuple[str, Any, str]] = {
    Audience.GRADE: ("grade", selectors.target_grades, "请选择本校的年级"),
    Audience.CLASS: ("school_class", selectors.target_classes, "请选择本校的班级"),
    Audience.SECTION: ("section", selectors.target_sections, "请选择本校的课班"),
}


@dataclass(frozen=True)
class Target:
    school: School
    audience: str
    grade: Grade | None = None
    school_class: SchoolClass | None = None
    section: Section | None = None

    @property
    def label(self) -> str:
        return selectors.audience_text(
            self.audience, grade=self.grade, school_class=self.school_class, section=self.section
        )

    def recipients(self) -> QuerySet[Any]:
        return selectors.recipient_users(
            school=self.school, audience=self.audience, grade=self.grade, school_class=self.school_class,
            section=self.section,
        )  # fmt: skip


def _id(value: Any) -> int | None:
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < ID_MAX else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if 0 < number < ID_MAX else None
    return None


def _school(actor: Actor, value: Any, errors: dict[str, list[str]]) -> School | None:
    if actor.is_system_admin and value in (None, ""):
        errors["school"] = ["请选择学校"]
        return None
    try:
        return selectors.announcement_school(actor=actor, school_id=_id(value) if value not in (None, "") else None)
    except NotFound:
        if actor.is_system_admin:
            errors["school"] = ["请选择学校"]
            return None
        raise


def _target(actor: Actor, data: dict[str, Any], errors: dict[str, list[str]]) -> Target | None:
    """The school and audience the data names, with field errors collected in `errors`."""
    school = _school(actor, data.get("school"), errors)
    audience = data.get("audience")
    if audience not in Audience.values:
        errors["audience"] = ["请选择通知对象"]
        return None
    if school is None:
        return None
    if audience not in TARGETS:
        return Target(school=school, audience=audience)
    field, choices, message = TARGETS[audience]
    pk = _id(data.get(field))
    chosen = choices(school).filter(pk=pk).first() if pk is not None else None
    if chosen is None:
        errors[field] = [message]
        return None
    return Target(school=school, audience=audience, **{field: chosen})


def _text(data: dict[str, Any], field: str, label: str, limit: int, errors: dict[str, list[str]]) -> str:
    value = data.get(field)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors[field] = [f"请填写{label}"]
    elif "\x00" in text:
        errors[field] = [f"{label}含有不可用的字符"]
    elif len(text) > limit:
        errors[field] = [f"{label}最多 {limit} 字"]
    return text


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True)
class Preview:
    recipient_count: int
    audience: str
    audience_label: str


def announcement_preview(*, actor: Actor, data: dict[str, Any]) -> Preview:
    """Who an announcement to this audience would reach now, and how many (the confirmation step). Data: school
    (system admins), audience, and grade / school_class / section as the audience needs. School admins only."""
    errors: dict[str, list[str]] = {}
    target = _target(actor, data, errors)
    _refuse(errors)
    assert target is not None
    return Preview(recipient_count=target.recipients().count(), audience=target.audience, audience_label=target.label)


def announcement_recipients_count(*, actor: Actor, data: dict[str, Any]) -> int:
    """How many people an announcement to this audience would reach now (see announcement_preview)."""
    return announcement_preview(actor=actor, data=data).recipient_count


@transaction.atomic
def announcement_send(*, actor: Actor, data: dict[str, Any]) -> Announcement:
    """Send a school announcement: the announcement, one notification per recipient, the audit row. School admins
    (their school) and system admins (data["school"]). Refused when nobody would receive it."""
    errors: dict[str, list[str]] = {}
    target = _target(actor, data, errors)
    title = _text(data, "title", "标题", TITLE_MAX, errors)
    body = _text(data, "body", "内容", BODY_MAX, errors)
    _refuse(errors)
    assert target is not None
    assert actor.user is not None  # may_send: an announcement has an author
    recipient_ids = list(target.recipients().order_by("pk").values_list("pk", flat=True))
    if not recipient_ids:
        raise ValidationFailed({"audience": [NO_RECIPIENTS]}, message=NO_RECIPIENTS, code="no_recipients")
    announcement = Announcement.objects.create(
        school=target.school, author=actor.user, title=title, body=body, audience=target.audience,
        grade=target.grade, school_class=target.school_class, section=target.section,
        recipient_count=len(recipient_ids),
    )  # fmt: skip
    notify(
        recipients=recipient_ids, kind=NotificationKind.ANNOUNCEMENT, title=title, body=body,
        link=reverse("notifications:announcement_detail", args=[announcement.pk]),
        data={"announcement_id": announcement.pk, "school_id": target.school.pk, "school_name": target.school.name},
    )  # fmt: skip
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=announcement,
        detail={
            "what": "announcement", "school_id": target.school.pk, "audience": target.audience,
            "target": target.label, "recipient_count": len(recipient_ids),
        },
    )  # fmt: skip
    return announcement
