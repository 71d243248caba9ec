"""Writes of the patrol rubric (巡课评价项): a school admin adds, edits, reorders and deactivates its school's items,
or takes the default four in one go. An item a patrol has scored is never deleted, only deactivated (past patrols
keep their copy of its name and scale anyway). Every write is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.core.services import apply_changes, validate_and_save
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..choices import ScoreScale
from ..models import PatrolCriterion
from ..selectors import rubric as selectors
from ..selectors.patrols import school_for

CRITERION_FIELDS = ("name", "description", "scale", "is_active")
MOVES = ("up", "down")


def _require_manager(actor: Actor) -> None:
    if not selectors.may_manage_rubric(actor):
        raise PermissionDenied("只有学校管理员可以设置巡课评价项")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Trimmed values of the fields given; refuses with every field's problem at once."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors["name"] = ["请填写评价项名称"]
        elif len(name) > 32:
            errors["name"] = ["评价项名称最多 32 个字"]
        out["name"] = name
    if "description" in data:
        description = str(data["description"] or "").strip()
        if len(description) > 200:
            errors["description"] = ["说明最多 200 个字"]
        out["description"] = description
    if "scale" in data:
        if data["scale"] not in ScoreScale.values:
            errors["scale"] = ["计分方式只能是 1–5 分或 0–10 分"]
        out["scale"] = data["scale"]
    if "is_active" in data:
        out["is_active"] = bool(data["is_active"])
    if errors:
        raise ValidationFailed(errors)
    return out


def _refuse_duplicate(school_id: int, name: str, *, exclude: int | None = None) -> None:
    same = PatrolCriterion.objects.filter(school_id=school_id, name=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise ValidationFailed({"name": [f"本校已有评价项“{name}”"]})


def _lock_rubric(school_id: int) -> list[PatrolCriterion]:
    """The school's items in order, read under a lock of the school row: writers of one rubric queue here, so
    positions and the "no items yet" check stay consistent."""
    list(School.objects.select_for_update().filter(pk=school_id).values_list("pk", flat=True))
    return list(PatrolCriterion.objects.filter(school_id=school_id).order_by("position", "id"))


@transaction.atomic
def criterion_create(*, actor: Actor, data: dict[str, Any], school_id: int | None = None) -> PatrolCriterion:
    """Add an item at the end of the school's rubric (a school admin's own school)."""
    _require_manager(actor)
    school = school_for(actor=actor, school_id=school_id)
    values = _clean({"description": "", "scale": ScoreScale.FIVE, **data, "name": data.get("name")})
    values.pop("is_active", None)
    _lock_rubric(school.pk)
    _refuse_duplicate(school.pk, values["name"])
    last = PatrolCriterion.objects.filter(school=school).aggregate(m=Max("position"))["m"]
    criterion = PatrolCriterion(school=school, position=(last or 0) + 1, **values)
    validate_and_save(criterion)
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=criterion,
        detail={"school": school.pk, "name": criterion.name, "scale": criterion.scale},
    )  # fmt: skip
    return criterion


@transaction.atomic
def criterion_update(*, actor: Actor, criterion: PatrolCriterion, data: dict[str, Any]) -> PatrolCriterion:
    """Edit an item's name, description, scale or whether it is used; past patrols keep what they scored."""
    _require_manager(actor)
    criterion = selectors.criterion_get(actor=actor, criterion_id=criterion.pk)
    values = _clean({k: v for k, v in data.items() if k in CRITERION_FIELDS})
    _lock_rubric(criterion.school_id)
    if "name" in values:
        _refuse_duplicate(criterion.school_id, values["name"], exclude=criterion.pk)
    diff = apply_changes(criterion, values, allowed=CRITERION_FIELDS)
    if diff:
        validate_and_save(criterion)
        record_write(actor=actor, event=AuditEventType.UPDATE, obj=criterion, detail={"changes": diff})
    return criterion


@transaction.atomic
def criterion_move(*, actor: Actor, criterion: PatrolCriterion, direction: str) -> PatrolCriterion:
    """Move an item one place up or down in its school's rubric (the positions are renumbered 1, 2, 3 …)."""
    _require_manager(actor)
    if direction not in MOVES:
        raise ValidationFailed({"direction": ["方向只能是 up（上移）或 down（下移）"]})
    criterion = selectors.criterion_get(actor=actor, criterion_id=criterion.pk)
    items = _lock_rubric(criterion.school_id)
    index = next(i for i, item in enumerate(items) if item.pk == criterion.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    changed = []
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            changed.append(item)
    PatrolCriterion.objects.bulk_update(changed, ["position"])
    if 0 <= target < len(items):
        record_write(
            actor=actor, event=AuditEventType.UPDATE, obj=criterion,
            detail={"move": direction, "order": [item.pk for item in items]},
        )  # fmt: skip
    return next(item for item in items if item.pk == criterion.pk)


@transaction.atomic
def criterion_delete(*, actor: Actor, criterion: PatrolCriterion) -> str:
    """Delete an item no patrol has scored; one that was used is deactivated instead. Returns "deleted" or
    "deactivated"."""
    _require_manager(actor)
    criterion = selectors.criterion_get(actor=actor, criterion_id=criterion.pk)
    _lock_rubric(criterion.school_id)
    if selectors.criterion_used(criterion):
        if criterion.is_active:
            criterion.is_active = False
            criterion.save(update_fields=["is_active", "updated_at"])
        record_write(
            actor=actor, event=AuditEventType.UPDATE, obj=criterion,
            detail={"deactivated": True, "reason": "已被巡课记录使用，停用而不删除"},
        )  # fmt: skip
        return "deactivated"
    record_write(
        actor=actor,
        event=AuditEventType.DELETE,
        obj=criterion,
        detail={"name": criterion.name, "scale": criterion.scale},
    )
    criterion.delete()
    return "deleted"


@transaction.atomic
def rubric_use_defaults(*, actor: Actor, school_id: int | None = None) -> list[PatrolCriterion]:
    """A school with no items takes the default rubric: 课堂秩序, 教学效果, 安全管理, 学生出勤 (each 1–5)."""
    _require_manager(actor)
    school = school_for(actor=actor, school_id=school_id)
    if _lock_rubric(school.pk):
        raise Conflict("rubric_exists", "本校已有巡课评价项，不能再使用默认评价项")
    created = PatrolCriterion.objects.bulk_create(
        [
            PatrolCriterion(school=school, name=name, description=description, scale=ScoreScale.FIVE, position=n)
            for n, (name, description) in enumerate(selectors.DEFAULT_RUBRIC, start=1)
        ]
    )
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=school,
        detail={"patrol_rubric_defaults": [c.name for c in created]},
    )  # fmt: skip
    return list(PatrolCriterion.objects.filter(school=school).order_by("position", "id"))
