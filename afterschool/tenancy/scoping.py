"""Tenancy scoping, written once. Every selector starts from `scoped(queryset, actor)`.

A model declares who sees it with a class attribute `scope_rule = ScopeRule(...)`: for each kind of
scope a lookup path from the model to a Region, School, Organization or User. A kind the rule does not
mention sees nothing. A system admin sees everything (and is audited elsewhere). An anonymous actor sees
nothing. Views and API handlers never filter by tenant themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet

from afterschool.core.errors import NotFound

if TYPE_CHECKING:
    from .actor import Actor

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class ScopeRule:
    """Lookup paths from a model to the tenant objects that may see it.

    region: path (or paths, any of which may match) to a Region; an actor scoped to a region sees rows whose
        region is it or lies below it.
    school / organization: path (or paths, any of which may match) to the School / Organization of the actor's
        scope.
    user: path (or paths) to the User of a parent's or student's own objects.
    owner: path to the User who owns a personal object (tokens): whatever the role, only the owner sees it.
    distinct: set when a path crosses a to-many relation.
    """

    region: str | tuple[str, ...] | None = None
    school: str | tuple[str, ...] | None = None
    organization: str | tuple[str, ...] | None = None
    user: str | tuple[str, ...] | None = None
    owner: str | None = None
    distinct: bool = False


def region_ids_within(region_id: int) -> list[int]:
    """The region and every region below it (province → city → district)."""
    from .models import Region

    key = f"tenancy:region-subtree:{region_id}"
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    ids = [region_id]
    frontier = [region_id]
    while frontier:
        frontier = list(Region.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        ids.extend(frontier)
    cache.set(key, ids, 300)
    return ids


def forget_region_tree() -> None:
    """Called by region writes so a new child is visible at once."""
    from .models import Region

    cache.delete_many([f"tenancy:region-subtree:{pk}" for pk in Region.objects.values_list("id", flat=True)])


def scope_filter(model: type[Model], actor: Actor) -> Q | None:
    """The Q that limits `model` to what `actor` may see; None means everything; an empty match means nothing."""
    if not actor.is_authenticated:
        return Q(pk__in=[])
    if actor.is_system_admin:
        return None
    rule: ScopeRule | None = getattr(model, "scope_rule", None)
    if rule is None:
        return Q(pk__in=[])
    if rule.owner:
        return Q(**{rule.owner: actor.user_id})
    if actor.scope_kind == "self":
        # Parents and students see only what is theirs, whatever school their membership names.
        return _any_of(rule.user, actor.user_id) if rule.user and actor.user_id is not None else Q(pk__in=[])
    if actor.region_id is not None and rule.region:
        ids = region_ids_within(actor.region_id)
        paths = (rule.region,) if isinstance(rule.region, str) else rule.region
        q = Q()
        for path in paths:
            q |= Q(**{f"{path}__in": ids})
        return q
    if actor.school_id is not None and rule.school:
        return _any_of(rule.school, actor.school_id)
    if actor.organization_id is not None and rule.organization:
        return _any_of(rule.organization, actor.organization_id)
    return Q(pk__in=[])


def _any_of(paths: str | tuple[str, ...], value: int) -> Q:
    q = Q()
    for path in (paths,) if isinstance(paths, str) else paths:
        q |= Q(**{path: value})
    return q


def scoped(queryset: QuerySet[M], actor: Actor) -> QuerySet[M]:
    q = scope_filter(queryset.model, actor)
    if q is None:
        return queryset
    queryset = queryset.filter(q)
    rule: ScopeRule | None = getattr(queryset.model, "scope_rule", None)
    if rule is not None and rule.distinct:
        queryset = queryset.distinct()
    return queryset


_BIGINT = 2**63


def _is_id_lookup(key: str) -> bool:
    """pk, id, or a foreign key's id (school_id, section__school_id …): integer columns. Other fields (an order
    number of 22 digits) are text and may hold any number."""
    last = key.split("__")[-1] if key.split("__")[-1] not in ("exact", "in") else key.split("__")[-2]
    return last in ("pk", "id") or last.endswith("_id")


def _out_of_range(value: Any, *, digits_too: bool) -> bool:
    """An int beyond 64 bits (or, for an id lookup, a string of such digits): no row can match it."""
    if digits_too and isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and not -_BIGINT <= value < _BIGINT


def get_scoped_or_404(queryset: QuerySet[M], actor: Actor, **lookup: Any) -> M:
    """The object if the actor may see it; otherwise NotFound — exactly as if it did not exist."""
    if any(_out_of_range(value, digits_too=_is_id_lookup(key)) for key, value in lookup.items()):
        raise NotFound()  # no row has such an id; asking the database would overflow its integer type
    try:
        return scoped(queryset, actor).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """The object from a queryset the selector has already limited by its own rule (a parent choosing among the
    open sections of its child's school); NotFound otherwise, with the same checks as get_scoped_or_404."""
    if any(_out_of_range(value, digits_too=_is_id_lookup(key)) for key, value in lookup.items()):
        raise NotFound()
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound() from None
