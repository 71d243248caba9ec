"""/api/v1/notifications/ — the notification centre: one's own notifications only (another's id is a 404)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.pagination import paginate
from afterschool.notifications.models import Notification
from afterschool.notifications.schemas.inbox import (
    MarkReadIn,
    MarkReadOut,
    NotificationFilters,
    NotificationOut,
    UnreadCountOut,
)
from afterschool.notifications.selectors import inbox as selectors
from afterschool.notifications.services import inbox as services

router = Router(tags=["通知"])


def notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk, "kind": n.kind, "kind_label": n.get_kind_display(), "title": n.title, "body": n.body,
        "link": n.link, "data": n.data or {}, "created_at": n.created_at, "read_at": n.read_at,
        "unread": n.read_at is None,
        "deliveries": [
            {"channel": d.channel, "channel_label": d.get_channel_display(), "status": d.status,
             "status_label": d.get_status_display(), "attempts": d.attempts, "sent_at": d.sent_at,
             "next_attempt_at": d.next_attempt_at}
            for d in n.deliveries.all()
        ],
    }  # fmt: skip


@router.get("/inbox", response={200: Paged[NotificationOut], **ERRORS}, summary="我的通知（最新在前）")
def notification_list(request: HttpRequest, filters: Query[NotificationFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    result = paginate(
        selectors.notification_list(actor=actor, filters=filters.dict()), page=paging.page, page_size=paging.page_size
    )
    return {
        "items": [notification_out(n) for n in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


@router.get("/inbox/unread-count", response={200: UnreadCountOut, **ERRORS}, summary="未读通知数")
def unread_count(request: HttpRequest) -> Any:
    return {"unread": selectors.unread_count(actor=actor_of(request))}


@router.post("/inbox/read", response={200: MarkReadOut, **ERRORS}, summary="标为已读（不传 ids 则全部）")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> Any:
    actor = actor_of(request)
    marked = services.notifications_mark_read(actor=actor, ids=payload.ids)
    return {"marked": marked, "unread": selectors.unread_count(actor=actor)}


@router.get("/inbox/{int:notification_id}", response={200: NotificationOut, **ERRORS}, summary="通知详情")
def notification_detail(request: HttpRequest, notification_id: int) -> Any:
    return notification_out(selectors.notification_get(actor=actor_of(request), notification_id=notification_id))
