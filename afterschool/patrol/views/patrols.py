"""Pages: today's patrol task (巡课任务, phone first), patrolling a lesson (one tap per rubric item, the phone's
camera for photos), the school's patrol records (filters, search, pages, xlsx) and a patrol's detail with its photos
(served only through the scoped photo view). The bureau reads the list and details of its region, never writes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from afterschool.core.errors import AppError, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.export import xlsx_response
from afterschool.core.media import download_response
from afterschool.core.views import call_form, call_page, list_context, page_error
from afterschool.tenancy.actor import Actor

from ..forms.patrols import PatrolFilterForm, PatrolForm
from ..models import Patrol
from ..selectors import patrols as selectors
from ..selectors.rubric import active_criteria, may_manage_rubric
from ..services import patrols as services


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _patroller(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not selectors.may_patrol(actor):
        raise DjangoPermissionDenied("没有巡课权限")
    return actor


def _reader(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not selectors.may_read_patrols(actor):
        raise DjangoPermissionDenied("没有查看巡课记录的权限")
    return actor


def _school_id(request: HttpRequest) -> int | None:
    raw = request.GET.get("school", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


@login_required
def today(request: HttpRequest) -> HttpResponse:
    """§5.2.3 巡课任务: today's totals and lessons of the school, each with a 巡课 button once it has started."""
    actor = _patroller(request)
    try:
        task = selectors.today_task(actor=actor, school_id=_school_id(request))
    except ValidationFailed:
        context = {"schools": selectors.school_choices(actor=actor), "target": "patrol:today"}
        return render(request, "patrol/choose_school.html", context)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None
    return render(request, "patrol/patrols/today.html", {"task": task})


def _today_url(lesson: Any) -> str:
    return f"{reverse('patrol:today')}?school={lesson.section.school_id}"


def _refused(request: HttpRequest, actor: Actor, lesson: Any) -> HttpResponse | None:
    """Why the actor cannot patrol the lesson now, as a message and a way back; None when it can."""
    try:
        services.patrol_check(actor=actor, lesson=lesson)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None
    except AppError as exc:
        messages.error(request, exc.message)
        if exc.code == "already_patrolled":
            return redirect("patrol:detail", selectors.my_patrol_id(actor=actor, lesson=lesson))
        return redirect(_today_url(lesson))
    if not active_criteria(lesson.section.school_id):
        messages.error(request, "学校还没有设置巡课评价项，请学校管理员先设置后再巡课")
        if may_manage_rubric(actor):
            return redirect(f"{reverse('patrol:rubric')}?school={lesson.section.school_id}")
        return redirect(_today_url(lesson))
    return None


@login_required
def patrol_new(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Patrol one lesson: what the roll and the check-in say, then a tap per rubric item, the teacher present or
    not, the head count (prefilled with the students marked present), a comment and up to 9 photos."""
    actor = _patroller(request)
    lesson = call_page(selectors.lesson_for_patrol, actor=actor, lesson_id=lesson_id)
    refused = _refused(request, actor, lesson)
    if refused is not None:
        return refused
    criteria = active_criteria(lesson.section.school_id)
    facts = selectors.lesson_facts(lesson)
    form = PatrolForm(
        request.POST or None,
        request.FILES or None,
        criteria=criteria,
        head_count_max=facts.roll_size + selectors.HEAD_COUNT_SLACK,
        initial={"head_count": facts.attended, "teacher_present": "1"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patrol = call_form(
            form,
            services.patrol_record,
            actor=actor,
            lesson=lesson,
            scores=form.scores(),
            teacher_present=data["teacher_present"] == "1",
            head_count=data["head_count"],
            comment=data["comment"],
            photos=data["photos"],
        )
        if patrol is not None:
            messages.success(request, f"已记录巡课：{lesson.section.name}，得分率 {patrol.score_percent}%")
            return redirect(_today_url(lesson))
    context = {
        "lesson": lesson,
        "facts": facts,
        "form": form,
        "max_photos": selectors.MAX_PHOTOS,
        "venue": lesson.venue or lesson.section.venue,
    }
    return render(request, "patrol/patrols/new.html", context, status=422 if form.errors else 200)


def _filters(request: HttpRequest, actor: Actor) -> tuple[PatrolFilterForm, dict[str, Any]]:
    school_id = _school_id(request)
    form = PatrolFilterForm(request.GET or None, choices=selectors.filter_choices(actor=actor, school_id=school_id))
    filters: dict[str, Any] = dict(form.cleaned_data) if form.is_valid() else {}
    if school_id:
        filters["school"] = school_id
    return form, filters


def _rows(patrols: list[Patrol]) -> list[dict[str, Any]]:
    teachers = selectors.lesson_teachers_of(patrols)
    return [
        {"patrol": p, "teachers": teachers.get(p.lesson_id, []), "venue": p.lesson.venue or p.lesson.section.venue}
        for p in patrols
    ]


@login_required
def patrol_list(request: HttpRequest) -> HttpResponse:
    """巡课记录: the school's patrols (the bureau: its region's, read-only)."""
    actor = _reader(request)
    form, filters = _filters(request, actor)
    if request.GET.get("export") == "xlsx":
        content = call_page(services.patrol_export, actor=actor, filters=filters)
        return xlsx_response(filename="巡课记录.xlsx", content=content)
    context = list_context(request, selectors.patrol_list(actor=actor, filters=filters))
    context.update({"form": form, "rows": _rows(context["page"].items), "school_id": filters.get("school")})
    return render(request, "patrol/patrols/list.html", context)


@login_required
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    patrol = call_page(selectors.patrol_get, actor=actor, patrol_id=pk)
    context = {
        "patrol": patrol,
        "lesson": patrol.lesson,
        "teachers": list(patrol.lesson.teachers.all()),
        "scores": list(patrol.scores.all()),
        "photos": list(patrol.photos.all()),
        "roll_size": selectors.roll_size(patrol.lesson),
        "venue": patrol.lesson.venue or patrol.lesson.section.venue,
    }
    return render(request, "patrol/patrols/detail.html", context)


@login_required
def patrol_photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponseBase:
    """A patrol photo, inline (thumbnails and full size), to whoever may read the patrol."""
    actor = _reader(request)
    photo = call_page(selectors.photo_get, actor=actor, patrol_id=pk, photo_id=photo_pk)
    extension = photo.file.name.rsplit(".", 1)[-1]
    return download_response(
        photo.file, filename=f"巡课照片-{pk}-{photo.pk}.{extension}", content_type=photo.content_type, inline=True
    )


urlpatterns: list[URLPattern] = [
    path("today/", today, name="today"),
    path("lessons/<int:lesson_id>/patrol/", patrol_new, name="new"),
    path("patrols/", patrol_list, name="list"),
    path("patrols/<int:pk>/", patrol_detail, name="detail"),
    path("patrols/<int:pk>/photos/<int:photo_pk>/", patrol_photo, name="photo"),
]
