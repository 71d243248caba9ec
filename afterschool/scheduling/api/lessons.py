"""/api/v1/scheduling/ — lessons (课次): list, detail, move, cancel (+ make-up), substitute. Thin: parse, call."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from afterschool.accounts.models import User
from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import ValidationFailed
from afterschool.schools.models import Venue

from ..schemas.lessons import (
    LessonCancelIn,
    LessonCancelOut,
    LessonFilters,
    LessonMoveIn,
    LessonOut,
    LessonSubstituteIn,
)
from ..selectors import lessons as selectors
from ..services import lessons as services

router = Router(tags=["排课与课表"])


def _venue(venue_id: int | None, field: str) -> Venue | None:
    if venue_id is None:
        return None
    venue = Venue.objects.filter(pk=venue_id).first()
    if venue is None:
        raise ValidationFailed({field: ["场地不存在"]})
    return venue


def _user(user_id: int, field: str) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationFailed({field: ["账号不存在"]})
    return user


@router.get("/lessons", response={200: Paged[LessonOut], **ERRORS}, summary="课次列表")
def lesson_list(request: HttpRequest, filters: Query[LessonFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.lesson_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/lessons/{lesson_id}", response={200: LessonOut, **ERRORS}, summary="课次详情")
def lesson_detail(request: HttpRequest, lesson_id: int) -> Any:
    return selectors.lesson_get(actor=actor_of(request), lesson_id=lesson_id)


@router.post("/lessons/{lesson_id}/move", response={200: LessonOut, **ERRORS}, summary="调课")
def lesson_move(request: HttpRequest, lesson_id: int, payload: LessonMoveIn) -> Any:
    actor = actor_of(request)
    lesson = selectors.lesson_get(actor=actor, lesson_id=lesson_id)
    return services.lesson_move(
        actor=actor,
        lesson=lesson,
        date=payload.date,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        venue=_venue(payload.venue_id, "venue_id"),
        reason=payload.reason,
    )


@router.post("/lessons/{lesson_id}/cancel", response={200: LessonCancelOut, **ERRORS}, summary="停课（可安排补课）")
def lesson_cancel(request: HttpRequest, lesson_id: int, payload: LessonCancelIn) -> Any:
    actor = actor_of(request)
    lesson = selectors.lesson_get(actor=actor, lesson_id=lesson_id)
    makeup = None
    if payload.makeup is not None:
        makeup = {
            "date": payload.makeup.date,
            "starts_at": payload.makeup.starts_at,
            "ends_at": payload.makeup.ends_at,
            "venue": _venue(payload.makeup.venue_id, "makeup.venue_id"),
        }
    cancelled, made = services.lesson_cancel(actor=actor, lesson=lesson, reason=payload.reason, makeup=makeup)
    return {"lesson": cancelled, "makeup": made}


@router.post("/lessons/{lesson_id}/substitute", response={200: LessonOut, **ERRORS}, summary="代课")
def lesson_substitute(request: HttpRequest, lesson_id: int, payload: LessonSubstituteIn) -> Any:
    actor = actor_of(request)
    lesson = selectors.lesson_get(actor=actor, lesson_id=lesson_id)
    return services.lesson_substitute(
        actor=actor,
        lesson=lesson,
        old_teacher=_user(payload.old_teacher_id, "old_teacher_id"),
        new_teacher=_user(payload.new_teacher_id, "new_teacher_id"),
        reason=payload.reason,
    )
