"""/api/v1/feedback/ — chapter materials (章节资料): a section's teachers upload per chapter (multipart: file,
chapter_id, title); the school, the bureau, the section's teachers and its families read and download them; the
uploader deletes its own."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.pagination import paginate
from afterschool.tenancy.actor import Actor

from ..media import material_response
from ..models import ChapterMaterial
from ..schemas.materials import ChapterMaterialCreateIn, ChapterMaterialFilters, ChapterMaterialOut
from ..selectors import materials as selectors
from ..services import materials as services

router = Router(tags=["课堂风采与评价"])


def material_out(material: ChapterMaterial, actor: Actor) -> dict[str, Any]:
    return {
        "id": material.pk, "section_id": material.section_id, "chapter_id": material.chapter_id,
        "chapter_number": material.chapter.number, "chapter_title": material.chapter.title, "title": material.title,
        "media_kind": material.media_kind, "content_type": material.content_type, "size": material.size,
        "uploaded_by": material.uploaded_by.display_name or "任课教师", "created_at": material.created_at,
        "url": reverse("api-v1:feedback_material_file", kwargs={"material_id": material.pk}),
        "can_delete": selectors.may_delete(actor, material),
    }  # fmt: skip


@router.get(
    "/sections/{section_id}/materials", response={200: Paged[ChapterMaterialOut], **ERRORS}, summary="课班的章节资料"
)
def material_list(
    request: HttpRequest, section_id: int, filters: Query[ChapterMaterialFilters], paging: Query[PageParams]
) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    result = paginate(
        selectors.material_list(actor=actor, section=section, filters=filters.dict()),
        page=paging.page, page_size=paging.page_size,
    )  # fmt: skip
    return {
        "items": [material_out(x, actor) for x in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


@router.post(
    "/sections/{section_id}/materials", response={201: ChapterMaterialOut, **ERRORS},
    summary="任课教师按章节上传资料（multipart；pdf/docx/pptx/xlsx、jpg/png、mp3/aac、mp4 H.264/AAC）",
)  # fmt: skip
def material_upload(
    request: HttpRequest, section_id: int, file: File[UploadedFile], payload: Form[ChapterMaterialCreateIn]
) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    chapter = selectors.chapter_of(section=section, chapter_id=payload.chapter_id)
    material = services.material_upload(actor=actor, section=section, chapter=chapter, title=payload.title, upload=file)
    return Status(201, material_out(selectors.material_get(actor=actor, material_id=material.pk), actor))


@router.delete("/materials/{material_id}", response={204: None, **ERRORS}, summary="删除自己上传的章节资料")
def material_delete(request: HttpRequest, material_id: int) -> Any:
    actor = actor_of(request)
    services.material_delete(actor=actor, material=selectors.material_get(actor=actor, material_id=material_id))
    return Status(204, None)


@router.get(
    "/materials/{material_id}/file", response={200: None, 206: None, **ERRORS}, url_name="feedback_material_file",
    summary="下载章节资料（音频、视频支持 Range）",
)  # fmt: skip
def material_file(request: HttpRequest, material_id: int) -> Any:
    material = selectors.material_get(actor=actor_of(request), material_id=material_id)
    return material_response(material, range_header=request.headers.get("Range", ""))
