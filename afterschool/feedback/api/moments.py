"""/api/v1/feedback/ — classroom moments (课堂风采): a teacher posts one for a lesson (multipart: text, up to 9
photos/videos in `files`, a video's poster frame as `poster_<n>` beside the n-th file, 0-based); the school approves
or rejects it; everyone reads what it may see; families read their feed. Photos and videos only through
/moments/{id}/media/{media_id}, which applies the moment's rule."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from afterschool.attendance.selectors.leave import chapter_label, lesson_label
from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.pagination import paginate
from afterschool.tenancy.actor import Actor

from ..media import moment_media_response, posters_from
from ..models import Moment, MomentMedia
from ..schemas.moments import FeedFilters, MediaQuery, MomentCreateIn, MomentFilters, MomentOut, MomentRejectIn
from ..selectors import moments as selectors
from ..services import moments as services

router = Router(tags=["课堂风采与评价"])

# The multipart body as documented: the posters are read from the request by name (poster_0 … poster_8).
_POSTERS_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "properties": {
                        f"poster_{n}": {
                            "type": "string", "format": "binary",
                            "description": f"第 {n + 1} 个文件（视频）的封面：PNG/JPG，可不传（显示占位图）",
                        }
                        for n in range(selectors.MAX_FILES)
                    }
                }
            }
        }
    }
}  # fmt: skip


def media_out(media: MomentMedia) -> dict[str, Any]:
    url = reverse("api-v1:feedback_moment_media", kwargs={"moment_id": media.moment_id, "media_id": media.pk})
    return {
        "id": media.pk, "kind": media.kind, "content_type": media.content_type, "size": media.size,
        "width": media.width, "height": media.height, "position": media.position, "has_preview": bool(media.preview),
        "url": url, "preview_url": f"{url}?preview=true",
    }  # fmt: skip


def moment_out(moment: Moment, actor: Actor) -> dict[str, Any]:
    section = moment.section
    return {
        "id": moment.pk, "school_id": section.school_id, "school_name": section.school.name,
        "section_id": section.pk, "section_name": section.name, "course_name": section.course.name,
        "lesson_id": moment.lesson_id, "lesson_date": moment.lesson.date, "lesson_label": lesson_label(moment.lesson),
        "chapter": chapter_label(moment.lesson), "author_id": moment.author_id,
        "teacher_name": selectors.teacher_name(moment),
        "text": moment.text, "status": moment.status, "status_label": moment.get_status_display(),
        "reject_reason": moment.reject_reason, "reviewed_by": str(moment.reviewed_by or ""),
        "reviewed_at": moment.reviewed_at, "created_at": moment.created_at,
        "media": [media_out(m) for m in moment.media.all()],
        "can_review": moment.status == "pending" and selectors.may_review(actor, moment),
        "can_delete": selectors.may_delete(actor, moment),
    }  # fmt: skip


def _page(queryset: Any, paging: PageParams, actor: Actor) -> dict[str, Any]:
    result = paginate(queryset, page=paging.page, page_size=paging.page_size)
    return {
        "items": [moment_out(x, actor) for x in result.items], "count": result.count, "page": result.page,
        "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


def _fresh(actor: Actor, moment_id: int) -> dict[str, Any]:
    return moment_out(selectors.moment_get(actor=actor, moment_id=moment_id), actor)


@router.post(
    "/lessons/{lesson_id}/moments", response={201: MomentOut, **ERRORS}, openapi_extra=_POSTERS_DOC,
    summary="教师发布课堂风采（multipart：text，files 最多 9 个 JPG/PNG/MP4，poster_<n> 为第 n 个视频的封面）",
)  # fmt: skip
def moment_create(
    request: HttpRequest,
    lesson_id: int,
    payload: Form[MomentCreateIn],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # no files: a text-only moment
) -> Any:
    actor = actor_of(request)
    lesson = selectors.lesson_for_moment(actor=actor, lesson_id=lesson_id)
    moment = services.moment_post(
        actor=actor, lesson=lesson, text=payload.text, files=list(files or []), posters=posters_from(request.FILES)
    )
    return Status(201, _fresh(actor, moment.pk))


@router.get("/moments", response={200: Paged[MomentOut], **ERRORS}, summary="课堂风采列表（按角色可见）")
def moment_list(request: HttpRequest, filters: Query[MomentFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    return _page(selectors.moment_list(actor=actor, filters=filters.dict()), paging, actor)


@router.get("/moments/{moment_id}", response={200: MomentOut, **ERRORS}, summary="课堂风采详情")
def moment_detail(request: HttpRequest, moment_id: int) -> Any:
    return _fresh(actor_of(request), moment_id)


@router.post("/moments/{moment_id}/approve", response={200: MomentOut, **ERRORS}, summary="审核通过课堂风采")
def moment_approve(request: HttpRequest, moment_id: int) -> Any:
    actor = actor_of(request)
    moment = selectors.moment_get(actor=actor, moment_id=moment_id)
    services.moment_review(actor=actor, moment=moment, approve=True)
    return _fresh(actor, moment_id)


@router.post("/moments/{moment_id}/reject", response={200: MomentOut, **ERRORS}, summary="驳回课堂风采（须填原因）")
def moment_reject(request: HttpRequest, moment_id: int, payload: MomentRejectIn) -> Any:
    actor = actor_of(request)
    moment = selectors.moment_get(actor=actor, moment_id=moment_id)
    services.moment_review(actor=actor, moment=moment, approve=False, reason=payload.reason)
    return _fresh(actor, moment_id)


@router.delete(
    "/moments/{moment_id}", response={204: None, **ERRORS}, summary="删除自己发布的课堂风采（待审核或已驳回）"
)
def moment_delete(request: HttpRequest, moment_id: int) -> Any:
    actor = actor_of(request)
    services.moment_delete(actor=actor, moment=selectors.moment_get(actor=actor, moment_id=moment_id))
    return Status(204, None)


@router.get(
    "/moments/{moment_id}/media/{media_id}", response={200: None, 206: None, **ERRORS},
    url_name="feedback_moment_media",
    summary="课堂风采的图片或视频（preview=true：缩略图或封面；视频支持 Range）",
)  # fmt: skip
def moment_media(request: HttpRequest, moment_id: int, media_id: int, query: Query[MediaQuery]) -> Any:
    media = selectors.media_get(actor=actor_of(request), moment_id=moment_id, media_id=media_id)
    return moment_media_response(media, preview=query.preview, range_header=request.headers.get("Range", ""))


@router.get("/feed", response={200: Paged[MomentOut], **ERRORS}, summary="家长/学生的课堂风采（已通过，最新在前）")
def moment_feed(request: HttpRequest, filters: Query[FeedFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    if not actor.has_role(*selectors.FAMILY_ROLES):
        from afterschool.core.errors import PermissionDenied

        raise PermissionDenied("只有家长或学生本人有课堂风采动态")
    return _page(selectors.moment_feed(actor=actor, student_id=filters.student_id), paging, actor)
