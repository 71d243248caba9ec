"""Reads of the patrol rubric (巡课评价项): a school's items in order; who may manage them and who may read them."""

from __future__ import annotations

from django.db.models import QuerySet

from afterschool.accounts.choices import Role
from afterschool.core.errors import NotFound
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..models import PatrolCriterion, PatrolScore
from .patrols import may_patrol

DEFAULT_RUBRIC: list[tuple[str, str]] = [
    ("课堂秩序", "学生守纪、课堂安静有序"),
    ("教学效果", "教学内容充实，学生参与积极"),
    ("安全管理", "场地、器材与活动安全，无安全隐患"),
    ("学生出勤", "应到学生按时到课，考勤登记及时"),
]


def may_manage_rubric(actor: Actor) -> bool:
    """School admins set their school's rubric (the platform may set any school's)."""
    return actor.is_system_admin or actor.role == Role.SCHOOL_ADMIN


def may_read_rubric(actor: Actor) -> bool:
    return may_manage_rubric(actor) or may_patrol(actor) or actor.role == Role.BUREAU_ADMIN


def criterion_list(
    *, actor: Actor, school_id: int | None = None, active_only: bool = False
) -> QuerySet[PatrolCriterion]:
    """The rubric items the actor may read, in order (one school's when named)."""
    if not may_read_rubric(actor):
        return PatrolCriterion.objects.none()
    queryset = scoped(PatrolCriterion.objects.select_related("school"), actor)
    if school_id is not None:
        queryset = queryset.filter(school_id=school_id)
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("school_id", "position", "id")


def criterion_get(*, actor: Actor, criterion_id: int) -> PatrolCriterion:
    if not may_read_rubric(actor):
        raise NotFound()
    return get_scoped_or_404(PatrolCriterion.objects.select_related("school"), actor, pk=criterion_id)


def active_criteria(school_id: int) -> list[PatrolCriterion]:
    """The items a patrol of this school scores, in order (for the services and the patrol form)."""
    return list(PatrolCriterion.objects.filter(school_id=school_id, is_active=True).order_by("position", "id"))


def criterion_used(criterion: PatrolCriterion) -> bool:
    """An item some patrol has scored: deleting it only deactivates it, so past patrols keep their reference."""
    return PatrolScore.objects.filter(criterion=criterion).exists()


def used_criterion_ids(school_id: int) -> set[int]:
    return set(
        PatrolScore.objects.filter(criterion__school_id=school_id).values_list("criterion_id", flat=True).distinct()
    )
