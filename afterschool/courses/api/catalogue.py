"""/api/v1/courses/ — the course catalogue: courses, chapters, materials (辅助材料), files."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of, paged
from afterschool.core.errors import NotFound, ValidationFailed
from afterschool.core.media import download_response
from afterschool.tenancy import selectors as tenancy_selectors
from afterschool.tenancy.actor import Actor

from ..schemas.catalogue import (
    ChapterIn,
    ChapterMoveIn,
    ChapterOut,
    ChapterPatch,
    CourseFilters,
    CourseIn,
    CourseOut,
    CoursePatch,
    FileFilters,
    FileOut,
    FileUploadIn,
    MaterialIn,
    MaterialOut,
    MaterialPatch,
)
from ..selectors import catalogue as selectors
from ..services import catalogue as services

router = Router(tags=["课程与师资"])


def _with_owner(actor: Actor, payload: dict[str, Any]) -> dict[str, Any]:
    """Owner ids count only for a system admin; everyone else writes for its own school or organization."""
    school_id = payload.pop("owner_school_id", None)
    organization_id = payload.pop("owner_organization_id", None)
    if not actor.is_system_admin:
        return payload
    try:
        if school_id is not None:
            payload["owner_school"] = tenancy_selectors.school_get(actor=actor, school_id=school_id)
    except NotFound:
        raise ValidationFailed({"owner_school_id": ["学校不存在"]}) from None
    try:
        if organization_id is not None:
            payload["owner_organization"] = tenancy_selectors.organization_get(
                actor=actor, organization_id=organization_id
            )
    except NotFound:
        raise ValidationFailed({"owner_organization_id": ["机构不存在"]}) from None
    return payload


# --- courses ---------------------------------------------------------------------------------------


@router.get("/courses", response={200: Paged[CourseOut], **ERRORS}, summary="课程列表")
def course_list(request: HttpRequest, filters: Query[CourseFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.course_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.post("/courses", response={201: CourseOut, **ERRORS}, summary="新建课程")
def course_create(request: HttpRequest, payload: CourseIn) -> Any:
    actor = actor_of(request)
    course = services.course_create(actor=actor, data=_with_owner(actor, payload.dict()))
    return Status(201, selectors.course_get(actor=actor, course_id=course.pk))


@router.get("/courses/{course_id}", response={200: CourseOut, **ERRORS}, summary="课程详情")
def course_detail(request: HttpRequest, course_id: int) -> Any:
    return selectors.course_get(actor=actor_of(request), course_id=course_id)


@router.patch("/courses/{course_id}", response={200: CourseOut, **ERRORS}, summary="修改课程")
def course_update(request: HttpRequest, course_id: int, payload: CoursePatch) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    services.course_update(actor=actor, course=course, data=payload.dict(exclude_unset=True))
    return selectors.course_get(actor=actor, course_id=course_id)


@router.delete("/courses/{course_id}", response={204: None, **ERRORS}, summary="删除课程（仅未提交过审核的）")
def course_delete(request: HttpRequest, course_id: int) -> Any:
    actor = actor_of(request)
    services.course_delete(actor=actor, course=selectors.course_get(actor=actor, course_id=course_id))
    return Status(204, None)


# --- chapters --------------------------------------------------------------------------------------


@router.get("/courses/{course_id}/chapters", response={200: list[ChapterOut], **ERRORS}, summary="章节列表（按序号）")
def chapter_list(request: HttpRequest, course_id: int) -> Any:
    actor = actor_of(request)
    return list(selectors.chapter_list(actor=actor, course=selectors.course_get(actor=actor, course_id=course_id)))


@router.post("/courses/{course_id}/chapters", response={201: ChapterOut, **ERRORS}, summary="新增章节（排在最后）")
def chapter_create(request: HttpRequest, course_id: int, payload: ChapterIn) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    return Status(201, services.chapter_create(actor=actor, course=course, data=payload.dict()))


@router.patch("/courses/{course_id}/chapters/{chapter_id}", response={200: ChapterOut, **ERRORS}, summary="修改章节")
def chapter_update(request: HttpRequest, course_id: int, chapter_id: int, payload: ChapterPatch) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    chapter = selectors.chapter_get(actor=actor, course=course, chapter_id=chapter_id)
    return services.chapter_update(actor=actor, chapter=chapter, data=payload.dict(exclude_unset=True))


@router.delete(
    "/courses/{course_id}/chapters/{chapter_id}",
    response={204: None, **ERRORS},
    summary="删除章节（其后章节序号前移）",
)
def chapter_delete(request: HttpRequest, course_id: int, chapter_id: int) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    services.chapter_delete(
        actor=actor, chapter=selectors.chapter_get(actor=actor, course=course, chapter_id=chapter_id)
    )
    return Status(204, None)


@router.post(
    "/courses/{course_id}/chapters/{chapter_id}/move",
    response={200: list[ChapterOut], **ERRORS},
    summary="章节上移/下移；返回调整后的章节列表",
)
def chapter_move(request: HttpRequest, course_id: int, chapter_id: int, payload: ChapterMoveIn) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    chapter = selectors.chapter_get(actor=actor, course=course, chapter_id=chapter_id)
    services.chapter_move(actor=actor, chapter=chapter, direction=payload.direction)
    return list(selectors.chapter_list(actor=actor, course=course))


# --- materials -------------------------------------------------------------------------------------


@router.get("/courses/{course_id}/materials", response={200: list[MaterialOut], **ERRORS}, summary="辅助材料列表")
def material_list(request: HttpRequest, course_id: int) -> Any:
    actor = actor_of(request)
    return list(selectors.material_list(actor=actor, course=selectors.course_get(actor=actor, course_id=course_id)))


@router.post("/courses/{course_id}/materials", response={201: MaterialOut, **ERRORS}, summary="新增辅助材料")
def material_create(request: HttpRequest, course_id: int, payload: MaterialIn) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    return Status(201, services.material_create(actor=actor, course=course, data=payload.dict()))


@router.get(
    "/courses/{course_id}/materials/{material_id}", response={200: MaterialOut, **ERRORS}, summary="辅助材料详情"
)
def material_detail(request: HttpRequest, course_id: int, material_id: int) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    return selectors.material_get(actor=actor, course=course, material_id=material_id)


@router.patch(
    "/courses/{course_id}/materials/{material_id}", response={200: MaterialOut, **ERRORS}, summary="修改辅助材料"
)
def material_update(request: HttpRequest, course_id: int, material_id: int, payload: MaterialPatch) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    material = selectors.material_get(actor=actor, course=course, material_id=material_id)
    return services.material_update(actor=actor, material=material, data=payload.dict(exclude_unset=True))


@router.delete("/courses/{course_id}/materials/{material_id}", response={204: None, **ERRORS}, summary="删除辅助材料")
def material_delete(request: HttpRequest, course_id: int, material_id: int) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    material = selectors.material_get(actor=actor, course=course, material_id=material_id)
    services.material_delete(actor=actor, material=material)
    return Status(204, None)


# --- files -----------------------------------------------------------------------------------------


@router.get("/courses/{course_id}/files", response={200: list[FileOut], **ERRORS}, summary="课程附件与章节资源")
def file_list(request: HttpRequest, course_id: int, filters: Query[FileFilters]) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    values = {"chapter": filters.chapter_id, "attachments_only": filters.attachments_only}
    return list(selectors.file_list(actor=actor, course=course, filters=values))


@router.post(
    "/courses/{course_id}/files",
    response={201: FileOut, **ERRORS},
    summary="上传课程附件或章节资源（multipart；pdf/docx/pptx/xlsx、jpg/png、mp3/aac、mp4 H.264/AAC）",
)
def file_upload(request: HttpRequest, course_id: int, file: File[UploadedFile], payload: Form[FileUploadIn]) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    chapter = None
    if payload.chapter_id is not None:
        try:
            chapter = selectors.chapter_get(actor=actor, course=course, chapter_id=payload.chapter_id)
        except NotFound:
            raise ValidationFailed({"chapter_id": ["章节不存在或不属于该课程"]}) from None
    row = services.course_file_upload(actor=actor, course=course, upload=file, name=payload.name, chapter=chapter)
    return Status(201, row)


@router.get(
    "/courses/{course_id}/files/{file_id}/download",
    response={200: None, **ERRORS},
    summary="下载课程文件",
)
def file_download(request: HttpRequest, course_id: int, file_id: int) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    row = selectors.file_get(actor=actor, course=course, file_id=file_id)
    try:
        return download_response(row.file, filename=selectors.file_download_name(row), content_type=row.content_type)
    except OSError:
        raise NotFound("文件已不在存储中，请重新上传") from None


@router.delete("/courses/{course_id}/files/{file_id}", response={204: None, **ERRORS}, summary="删除课程文件")
def file_delete(request: HttpRequest, course_id: int, file_id: int) -> Any:
    actor = actor_of(request)
    course = selectors.course_get(actor=actor, course_id=course_id)
    services.course_file_delete(
        actor=actor, course_file=selectors.file_get(actor=actor, course=course, file_id=file_id)
    )
    return Status(204, None)
