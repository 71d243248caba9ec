"""/api/v1/scheduling/ — timetables: the lessons of a date window (≤ 62 days) by dimension, its xlsx export, and
calendar feeds (课表订阅)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.export import xlsx_response

from ..schemas.timetables import (
    CalendarFeedCreated,
    CalendarFeedIn,
    CalendarFeedOut,
    TimetableLessonOut,
    TimetableQuery,
)
from ..selectors import timetables as selectors
from ..services import timetables as services

router = Router(tags=["排课与课表"])


def _lessons(request: HttpRequest, query: TimetableQuery) -> Any:
    return selectors.lessons_in_window(
        actor=actor_of(request), start=query.start, end=query.end, filters=query.filters(), mine=query.mine
    )


@router.get("/timetable", response={200: Paged[TimetableLessonOut], **ERRORS}, summary="课表（按时间段与维度）")
def timetable(request: HttpRequest, query: Query[TimetableQuery], paging: Query[PageParams]) -> Any:
    return paged(_lessons(request, query), paging)


@router.get(
    "/timetable/export",
    response={200: None, **ERRORS},
    summary="导出课表（xlsx）",
    openapi_extra={
        "responses": {200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}}
    },
)
def timetable_export(request: HttpRequest, query: Query[TimetableQuery]) -> HttpResponse:
    actor = actor_of(request)
    content = services.timetable_export(
        actor=actor,
        lessons=_lessons(request, query),
        what="课后服务课表",
        detail={"start": query.start.isoformat(), "end": query.end.isoformat(), "filters": query.filters()},
    )
    return xlsx_response(filename=f"课后服务课表_{query.start:%Y%m%d}-{query.end:%Y%m%d}.xlsx", content=content)


@router.get("/feeds", response={200: Paged[CalendarFeedOut], **ERRORS}, summary="我的课表订阅")
def feed_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    return paged(selectors.calendar_feed_list(actor=actor_of(request)), paging)


@router.post("/feeds", response={201: CalendarFeedCreated, **ERRORS}, summary="新建课表订阅（地址只返回一次）")
def feed_create(request: HttpRequest, payload: CalendarFeedIn) -> Any:
    feed, raw = services.calendar_feed_create(actor=actor_of(request), student_id=payload.student)
    url = request.build_absolute_uri(reverse("scheduling:calendar_feed", args=[raw]))
    return Status(
        201,
        {
            "id": feed.pk,
            "student_id": feed.student_id,
            "created_at": feed.created_at,
            "revoked_at": feed.revoked_at,
            "last_used_at": feed.last_used_at,
            "url": url,
        },
    )


@router.post("/feeds/{feed_id}/revoke", response={200: CalendarFeedOut, **ERRORS}, summary="停用课表订阅")
def feed_revoke(request: HttpRequest, feed_id: int) -> Any:
    actor = actor_of(request)
    feed = selectors.calendar_feed_get(actor=actor, feed_id=feed_id)
    return services.calendar_feed_revoke(actor=actor, feed=feed)
