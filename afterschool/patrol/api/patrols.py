"""/api/v1/patrol/ — today's task, patrolling a lesson (JSON; photos one per call afterwards), the patrol records and
their photos (served only through the scoped download)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from afterschool.core.api import ERRORS, Paged, PageParams, actor_of
from afterschool.core.media import download_response
from afterschool.core.pagination import paginate
from afterschool.tenancy.actor import Actor

from ..models import Patrol, PatrolPhoto
from ..schemas.patrols import PatrolDetailOut, PatrolFilters, PatrolIn, PatrolOut, PhotoOut, TodayFilters, TodayOut
from ..selectors import patrols as selectors
from ..services import patrols as services

router = Router(tags=["巡课"])


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": str(user)}


def _venue(lesson: Any) -> str:
    venue = lesson.venue or lesson.section.venue
    return venue.name if venue else ""


def today_out(task: selectors.TodayTask) -> dict[str, Any]:
    return {
        "school_id": task.school.pk, "school_name": task.school.name, "date": task.date,
        "now": task.now.strftime("%H:%M"), "total": task.total, "started": task.started,
        "patrolled": task.patrolled, "mine": task.mine,
        "lessons": [
            {
                "lesson_id": t.lesson.pk, "date": t.lesson.date, "starts_at": t.lesson.starts_at.strftime("%H:%M"),
                "ends_at": t.lesson.ends_at.strftime("%H:%M"), "section_id": t.lesson.section_id,
                "section_name": t.lesson.section.name, "course_name": t.lesson.section.course.name,
                "venue": _venue(t.lesson), "teachers": [_person(u) for u in t.lesson.teachers.all()],
                "state": t.state, "state_label": t.state_label, "patrollers": [_person(u) for u in t.patrollers],
                "patrolled_by_me": t.mine, "my_patrol_id": t.my_patrol_id, "teaches_it": t.own,
                "can_patrol": t.can_patrol,
            }
            for t in task.lessons
        ],
    }  # fmt: skip


def patrol_out(p: Patrol, teachers: list[Any]) -> dict[str, Any]:
    lesson = p.lesson
    return {
        "id": p.pk, "lesson_id": lesson.pk, "date": lesson.date, "starts_at": lesson.starts_at.strftime("%H:%M"),
        "ends_at": lesson.ends_at.strftime("%H:%M"), "school_id": lesson.section.school_id,
        "school_name": lesson.section.school.name, "section_id": lesson.section_id,
        "section_name": lesson.section.name, "course_name": lesson.section.course.name,
        "teachers": [_person(u) for u in teachers], "patroller": _person(p.patroller),
        "teacher_present": p.teacher_present, "head_count": p.head_count, "score_percent": float(p.score_percent),
        "comment": p.comment, "created_at": p.created_at,
    }  # fmt: skip


def photo_out(photo: PatrolPhoto) -> dict[str, Any]:
    url = reverse("api-v1:patrol_photo_download", kwargs={"patrol_id": photo.patrol_id, "photo_id": photo.pk})
    return {"id": photo.pk, "content_type": photo.content_type, "size": photo.size, "url": url}


def patrol_detail_out(actor: Actor, patrol_id: int) -> dict[str, Any]:
    p = selectors.patrol_get(actor=actor, patrol_id=patrol_id)
    return {
        **patrol_out(p, list(p.lesson.teachers.all())),
        "roll_size": selectors.roll_size(p.lesson),
        "scores": [
            {"criterion_id": s.criterion_id, "name": s.name, "scale": s.scale, "score": s.score} for s in p.scores.all()
        ],
        "photos": [photo_out(photo) for photo in p.photos.all()],
    }


@router.get("/today", response={200: TodayOut, **ERRORS}, summary="今日巡课任务")
def today(request: HttpRequest, filters: Query[TodayFilters]) -> Any:
    return today_out(selectors.today_task(actor=actor_of(request), school_id=filters.school_id))


@router.post("/lessons/{lesson_id}/patrols", response={201: PatrolDetailOut, **ERRORS}, summary="巡课（评分）")
def patrol_create(request: HttpRequest, lesson_id: int, payload: PatrolIn) -> Any:
    actor = actor_of(request)
    lesson = selectors.lesson_for_patrol(actor=actor, lesson_id=lesson_id)
    scores: dict[Any, Any] = {}
    for item in payload.scores:
        scores[item.criterion_id] = item.score
    patrol = services.patrol_record(
        actor=actor, lesson=lesson, scores=scores, teacher_present=payload.teacher_present,
        head_count=payload.head_count, comment=payload.comment,
    )  # fmt: skip
    return Status(201, patrol_detail_out(actor, patrol.pk))


@router.post("/patrols/{patrol_id}/photos", response={201: PhotoOut, **ERRORS}, summary="上传巡课照片（每次一张）")
def photo_upload(request: HttpRequest, patrol_id: int, file: File[UploadedFile]) -> Any:
    actor = actor_of(request)
    patrol = selectors.patrol_get(actor=actor, patrol_id=patrol_id)
    return Status(201, photo_out(services.patrol_add_photo(actor=actor, patrol=patrol, upload=file)))


@router.get(
    "/patrols/{patrol_id}/photos/{photo_id}", response={200: None, **ERRORS}, summary="下载巡课照片",
    url_name="patrol_photo_download",
)  # fmt: skip
def photo_download(request: HttpRequest, patrol_id: int, photo_id: int) -> Any:
    photo = selectors.photo_get(actor=actor_of(request), patrol_id=patrol_id, photo_id=photo_id)
    extension = photo.file.name.rsplit(".", 1)[-1]
    return download_response(
        photo.file, filename=f"巡课照片-{patrol_id}-{photo.pk}.{extension}", content_type=photo.content_type,
        inline=True,
    )  # fmt: skip


@router.get("/patrols", response={200: Paged[PatrolOut], **ERRORS}, summary="巡课记录列表")
def patrol_list(request: HttpRequest, filters: Query[PatrolFilters], paging: Query[PageParams]) -> Any:
    actor = actor_of(request)
    result = paginate(
        selectors.patrol_list(actor=actor, filters=filters.dict()), page=paging.page, page_size=paging.page_size
    )
    teachers = selectors.lesson_teachers_of(result.items)
    return {
        "items": [patrol_out(p, teachers.get(p.lesson_id, [])) for p in result.items], "count": result.count,
        "page": result.page, "page_size": result.page_size, "num_pages": result.num_pages,
    }  # fmt: skip


@router.get("/patrols/{patrol_id}", response={200: PatrolDetailOut, **ERRORS}, summary="巡课记录详情")
def patrol_detail(request: HttpRequest, patrol_id: int) -> Any:
    return patrol_detail_out(actor_of(request), patrol_id)
