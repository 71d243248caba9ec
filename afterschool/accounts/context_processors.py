from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from afterschool.notifications.live import unread_count_of

from . import selectors
from .navigation import navigation_for


def actor(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "actor", None)
    if current is None or getattr(current, "user", None) is None:
        return {"actor": current, "nav_groups": [], "my_memberships": []}
    return {
        "actor": current,
        "nav_groups": navigation_for(current, request.path),
        "my_memberships": selectors.memberships_of_user(current.user),
        "unread_notification_count": _unread_count(current.user.pk),
    }


def _unread_count(user_id: int) -> Any:
    """The topbar badge's starting value (static/js/live.js keeps it current). A callable the template resolves on
    first use, once: a partial that never shows the badge costs no query."""

    @cache
    def count() -> int:
        return unread_count_of(user_id)

    return count
