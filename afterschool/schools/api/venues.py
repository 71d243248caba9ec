"""/api/v1/schools/ — venues (场地)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import Paged, PageParams, actor_of, paged

from ..schemas.venues import VenueFilters, VenueIn, VenueOut, VenuePatch
from ..selectors import venues as selectors
from ..services import venues as services
from .structure import ERRORS, with_school

router = Router(tags=["学校基础信息"])


@router.get("/venues", response={200: Paged[VenueOut], **ERRORS}, summary="场地列表")
def venue_list(request: HttpRequest, filters: Query[VenueFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.venue_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/venues", response={201: VenueOut, **ERRORS}, summary="新增场地")
def venue_create(request: HttpRequest, payload: VenueIn) -> Any:
    actor = actor_of(request)
    return Status(201, services.venue_create(actor=actor, data=with_school(actor, payload.dict())))


@router.get("/venues/{venue_id}", response={200: VenueOut, **ERRORS}, summary="场地详情")
def venue_detail(request: HttpRequest, venue_id: int) -> Any:
    return selectors.venue_get(actor=actor_of(request), venue_id=venue_id)


@router.patch("/venues/{venue_id}", response={200: VenueOut, **ERRORS}, summary="修改场地")
def venue_update(request: HttpRequest, venue_id: int, payload: VenuePatch) -> Any:
    actor = actor_of(request)
    venue = selectors.venue_get(actor=actor, venue_id=venue_id)
    return services.venue_update(actor=actor, venue=venue, data=payload.dict(exclude_unset=True))


@router.delete("/venues/{venue_id}", response={204: None, **ERRORS}, summary="删除场地")
def venue_delete(request: HttpRequest, venue_id: int) -> Any:
    actor = actor_of(request)
    services.venue_delete(actor=actor, venue=selectors.venue_get(actor=actor, venue_id=venue_id))
    return Status(204, None)
