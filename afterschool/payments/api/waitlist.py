"""/api/v1/payments/ — the waitlist (候补): join a full section, list entries with their position, leave, and the
school's cancel."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged

from ..schemas.waitlist import WaitlistCancelIn, WaitlistFilters, WaitlistIn, WaitlistOut
from ..selectors import waitlist as selectors
from ..services import waitlist as services

router = Router(tags=["选课缴费"])


@router.post("/waitlist", response={201: WaitlistOut, **ERRORS}, summary="加入候补（课班已满时）")
def waitlist_join(request: HttpRequest, payload: WaitlistIn) -> Any:
    actor = actor_of(request)
    student = selectors.student_for_join(actor=actor, student_id=payload.student_id)
    section = selectors.section_for_join(actor=actor, student=student, section_id=payload.section_id)
    entry = services.waitlist_join(actor=actor, section=section, student=student, with_materials=payload.with_materials)
    return Status(201, selectors.waitlist_get(actor=actor, entry_id=entry.pk))


@router.get("/waitlist", response={200: Paged[WaitlistOut], **ERRORS}, summary="候补列表")
def waitlist_list(request: HttpRequest, filters: Query[WaitlistFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.waitlist_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/waitlist/{entry_id}/leave", response={200: WaitlistOut, **ERRORS}, summary="退出候补")
def waitlist_leave(request: HttpRequest, entry_id: int) -> Any:
    actor = actor_of(request)
    entry = selectors.waitlist_get(actor=actor, entry_id=entry_id)
    services.waitlist_leave(actor=actor, entry=entry)
    return selectors.waitlist_get(actor=actor, entry_id=entry.pk)


@router.post("/waitlist/{entry_id}/cancel", response={200: WaitlistOut, **ERRORS}, summary="学校取消候补")
def waitlist_cancel(request: HttpRequest, entry_id: int, payload: WaitlistCancelIn) -> Any:
    actor = actor_of(request)
    entry = selectors.waitlist_get(actor=actor, entry_id=entry_id)
    services.waitlist_cancel(actor=actor, entry=entry, reason=payload.reason)
    return selectors.waitlist_get(actor=actor, entry_id=entry.pk)
