"""Reads of course offers and their review history."""

from __future__ import annotations

from typing import Any

from afterschool.tenancy.actor import Actor

from ..models import Course


def review_panel_context(*, actor: Actor, course: Course) -> dict[str, Any]:
    """What the review panel on a course's page shows to this actor (offers, history, allowed actions)."""
    return {}
