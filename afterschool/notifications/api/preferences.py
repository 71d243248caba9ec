"""/api/v1/notifications/ — one's own notification preferences (channels per kind; in-app is always on)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from afterschool.core.api import ERRORS, actor_of
from afterschool.notifications.choices import Channel, NotificationKind
from afterschool.notifications.schemas.preferences import PreferencesIn, PreferencesOut
from afterschool.notifications.selectors import preferences as selectors
from afterschool.notifications.services import preferences as services

router = Router(tags=["通知"])


def preferences_out(chosen: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "preferences": chosen,
        "rows": [{"kind": kind, "label": label, "channels": chosen.get(kind, [])} for kind, label in
                 NotificationKind.choices],
        "channels": [{"value": value, "label": label} for value, label in Channel.choices],
    }  # fmt: skip


@router.get("/preferences", response={200: PreferencesOut, **ERRORS}, summary="我的通知设置")
def preferences_get(request: HttpRequest) -> Any:
    return preferences_out(selectors.preferences_of(actor=actor_of(request)))


@router.put("/preferences", response={200: PreferencesOut, **ERRORS}, summary="保存通知设置（整体替换）")
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> Any:
    actor = actor_of(request)
    services.preferences_save(actor=actor, choices=payload.preferences)
    return preferences_out(selectors.preferences_of(actor=actor))
