"""/api/v1/schools/ — emergency contacts (应急联系人)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from afterschool.core.api import Paged, PageParams, actor_of, paged

from ..schemas.contacts import ContactFilters, ContactIn, ContactOut, ContactPatch
from ..selectors import contacts as selectors
from ..services import contacts as services
from .structure import ERRORS, with_school

router = Router(tags=["学校基础信息"])


@router.get("/contacts", response={200: Paged[ContactOut], **ERRORS}, summary="应急联系人列表")
def contact_list(request: HttpRequest, filters: Query[ContactFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.contact_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/contacts", response={201: ContactOut, **ERRORS}, summary="新增应急联系人")
def contact_create(request: HttpRequest, payload: ContactIn) -> Any:
    actor = actor_of(request)
    return Status(201, services.contact_create(actor=actor, data=with_school(actor, payload.dict())))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="应急联系人详情")
def contact_detail(request: HttpRequest, contact_id: int) -> Any:
    return selectors.contact_get(actor=actor_of(request), contact_id=contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="修改应急联系人")
def contact_update(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Any:
    actor = actor_of(request)
    contact = selectors.contact_get(actor=actor, contact_id=contact_id)
    return services.contact_update(actor=actor, contact=contact, data=payload.dict(exclude_unset=True))


@router.delete("/contacts/{contact_id}", response={204: None, **ERRORS}, summary="删除应急联系人")
def contact_delete(request: HttpRequest, contact_id: int) -> Any:
    actor = actor_of(request)
    services.contact_delete(actor=actor, contact=selectors.contact_get(actor=actor, contact_id=contact_id))
    return Status(204, None)
