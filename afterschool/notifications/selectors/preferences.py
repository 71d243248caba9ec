"""Reads of a person's notification preferences: its own only."""

from __future__ import annotations

from dataclasses import dataclass

from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import scoped

from ..choices import Channel, NotificationKind
from ..models import NotificationPreference


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    channels: tuple[str, ...]


def preferences_of(*, actor: Actor) -> dict[str, list[str]]:
    """{kind: [channels]} for every kind (an empty list: in-app only), in the order of the choices."""
    chosen: dict[str, list[str]] = {kind: [] for kind in NotificationKind.values}
    user = actor.user
    if user is None:
        return chosen
    # scoped() needs a role; a person with a login but no role still owns its preferences, so the owner filter
    # is applied directly (it is the same rule: ScopeRule(owner="user")).
    qs = NotificationPreference.objects.filter(user=user)
    if actor.membership is not None:
        qs = scoped(qs, actor).filter(user=user)
    for kind, channels in qs.values_list("kind", "channels"):
        if kind in chosen:
            chosen[kind] = [c for c in Channel.values if c in (channels or [])]
    return chosen


def preference_rows(*, actor: Actor) -> list[PreferenceRow]:
    """The table of the preferences page: one row per kind with the channels chosen."""
    chosen = preferences_of(actor=actor)
    return [PreferenceRow(kind, label, tuple(chosen[kind])) for kind, label in NotificationKind.choices]
