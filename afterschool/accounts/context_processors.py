from __future__ import annotations

from typing import Any

from django.http import HttpRequest

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
    }
