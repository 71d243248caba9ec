"""Pages of chapter materials (章节资料): a section's materials by chapter of its course, with the upload form for the
section's teachers; the file through a scoped view; deleting one's own after a confirmation; an index of the sections
the actor may read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.views import call_page, form_error_from, list_context, page_error
from afterschool.tenancy.actor import Actor

from ..forms.materials import MaterialForm
from ..media import material_response
from ..selectors import materials as selectors
from ..services import materials as services


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} 字节"


@login_required
def material_index(request: HttpRequest) -> HttpResponse:
    """章节资料: the sections whose materials the actor may read (a teacher's own sections even when still empty)."""
    actor = _actor(request)
    context: dict[str, Any] = {}
    context.update(list_context(request, selectors.section_index(actor=actor)))
    return render(request, "feedback/materials/index.html", context)


@login_required
def materials(request: HttpRequest, section_id: int) -> HttpResponse:
    """A section's materials by chapter; its teachers upload here."""
    actor = _actor(request)
    section = call_page(selectors.section_get, actor=actor, section_id=section_id)
    can_upload = selectors.may_upload(actor, section)
    chapters = selectors.chapter_choices(section=section)
    form = MaterialForm(request.POST or None, request.FILES or None, chapters=chapters) if can_upload else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            chapter = selectors.chapter_of(section=section, chapter_id=form.cleaned_data["chapter"])
            material = services.material_upload(
                actor=actor, section=section, chapter=chapter, title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
            )  # fmt: skip
        except (NotFound, PermissionDenied) as exc:
            raise page_error(exc) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"已上传“{material.title}”。")
            return redirect("feedback:materials", section_id=section.pk)
    groups = [
        {
            "chapter": group.chapter,
            "rows": [
                {"material": m, "size": _size(m.size), "can_delete": selectors.may_delete(actor, m)}
                for m in group.materials
            ],
        }
        for group in selectors.material_groups(section=section)
    ]
    context = {"section": section, "groups": groups, "form": form, "can_upload": can_upload}
    return render(request, "feedback/materials/list.html", context)


@login_required
def material_file(request: HttpRequest, material_id: int) -> HttpResponseBase:
    actor = _actor(request)
    material = call_page(selectors.material_get, actor=actor, material_id=material_id)
    return material_response(material, range_header=request.headers.get("Range", ""))


@login_required
def material_delete(request: HttpRequest, material_id: int) -> HttpResponse:
    """The uploader deletes its material: a confirmation (GET), then the deletion (POST)."""
    actor = _actor(request)
    material = call_page(selectors.material_get, actor=actor, material_id=material_id)
    form = Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.material_delete(actor=actor, material=material)
        except (NotFound, PermissionDenied) as exc:
            raise page_error(exc) from None
        except AppError as exc:  # pragma: no cover - deletion refuses only with NotFound/PermissionDenied
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已删除“{material.title}”。")
            return redirect("feedback:materials", section_id=material.section_id)
    context = {"material": material, "form": form, "can_delete": selectors.may_delete(actor, material)}
    return render(request, "feedback/materials/delete.html", context)


urlpatterns: list[URLPattern] = [
    path("materials/", material_index, name="material_index"),
    path("sections/<int:section_id>/materials/", materials, name="materials"),
    path("materials/<int:material_id>/file/", material_file, name="material_file"),
    path("materials/<int:material_id>/delete/", material_delete, name="material_delete"),
]
