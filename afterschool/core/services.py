"""Write helpers shared by every domain's services: model validation and guarded deletion."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models

from afterschool.core.errors import Conflict, ValidationFailed


def validation_failed_from(exc: ValidationError) -> ValidationFailed:
    if hasattr(exc, "error_dict"):
        return ValidationFailed(
            {field: [m for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
        )
    return ValidationFailed({"__all__": list(exc.messages)})


def validate_and_save(instance: models.Model, *, exclude: list[str] | None = None) -> models.Model:
    """full_clean (field validators, uniqueness, constraints) then save; errors come back per field in Chinese."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise validation_failed_from(exc) from None
    try:
        instance.save()
    except IntegrityError:
        # A concurrent write got there first (e.g. the same unique code).
        raise Conflict("integrity", "数据与已有记录冲突（可能刚被其他人保存），请刷新后重试") from None
    return instance


def apply_changes(instance: models.Model, changes: dict[str, Any], *, allowed: Collection[str]) -> dict[str, Any]:
    """Set the allowed fields that really change; returns {field: [old, new]} for the audit row."""
    diff: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in allowed:
            continue
        model_field = instance._meta.get_field(field)
        if isinstance(model_field, models.ForeignKey):
            old = getattr(instance, model_field.attname)
            new_key = value.pk if isinstance(value, models.Model) else value
            if old != new_key:
                setattr(instance, field, value)
                diff[field] = [old, new_key]
            continue
        old = getattr(instance, field)
        if old != value:
            setattr(instance, field, value)
            diff[field] = [str(old) if old is not None else None, str(value) if value is not None else None]
    return diff


def delete_or_refuse(instance: models.Model, *, what: str) -> None:
    """Delete, or refuse with the kinds of data that still refer to it."""
    try:
        instance.delete()
    except models.ProtectedError as exc:
        kinds = sorted({str(obj._meta.verbose_name) for obj in exc.protected_objects})
        raise Conflict(
            "in_use",
            f"{what}仍被其他数据引用（{'、'.join(kinds)}），不能删除",
            detail={"referenced_by": kinds},
        ) from None
