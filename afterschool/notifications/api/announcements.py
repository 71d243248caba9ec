"""/api/v1/notifications/ — school announcements (学校公告)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.pagination import paginate

from ..models import Announcement
from ..schemas.announcements import AnnouncementFilters, AnnouncementIn, AnnouncementOut, AudienceIn, PreviewOut
from ..selectors import announcements as selectors
from ..services import announcements as services

router = Router(tags=["通知"])


def announcement_out(a: Announcement) -> dict[str, Any]:
    return {
        "id": a.pk, "school_id": a.school_id, "school_name": a.school.name, "title": a.title, "body": a.body,
        "audience": a.audience, "audience_label": selectors.audience_label(a), "grade_id": a.grade_id,
        "school_class_id": a.school_class_id, "section_id": a.section_id, "recipient_count": a.recipient_count,
        "author_name": a.author.display_name or a.author.get_username(), "created_at": a.created_at,
    }  # fmt: skip


@router.get("/announcements", response={200: Paged[AnnouncementOut], **ERRORS}, summary="学校公告列表")
def announcement_list(request: HttpRequest, filters: Query[AnnouncementFilters], paging: Query[PageParams]) -> Any:
    """School admins: their school's; bureau: its region's; system admins: all; anybody else: those it received."""
    actor = actor_of(request)
    queryset = selectors.announcement_list(actor=actor, filters=filters.dict())
    result = paginate(queryset, page=paging.page, page_size=paging.page_size)
    return {
        "items": [announcement_out(a) for a in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


@router.post("/announcements", response={201: AnnouncementOut, **ERRORS}, summary="发布学校公告")
def announcement_send(request: HttpRequest, payload: AnnouncementIn) -> Any:
    actor = actor_of(request)
    announcement = services.announcement_send(actor=actor, data=payload.dict())
    return Status(201, announcement_out(selectors.announcement_get(actor=actor, announcement_id=announcement.pk)))


@router.post("/announcements/preview", response={200: PreviewOut, **ERRORS}, summary="预览接收人数")
def announcement_preview(request: HttpRequest, payload: AudienceIn) -> Any:
    actor = actor_of(request)
    preview = services.announcement_preview(actor=actor, data=payload.dict())
    return {
        "recipient_count": preview.recipient_count, "audience": preview.audience,
        "audience_label": preview.audience_label,
    }  # fmt: skip


@router.get("/announcements/{announcement_id}", response={200: AnnouncementOut, **ERRORS}, summary="学校公告详情")
def announcement_detail(request: HttpRequest, announcement_id: int) -> Any:
    actor = actor_of(request)
    return announcement_out(selectors.announcement_get(actor=actor, announcement_id=announcement_id))
