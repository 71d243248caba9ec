"""Pages: batch import (学校管理员): pick a kind, download its template, upload, see row errors or the result."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_http_methods

from afterschool.accounts.choices import Role
from afterschool.core.errors import AppError, NotFound
from afterschool.core.export import xlsx_response
from afterschool.schools.selectors import imports as selectors
from afterschool.schools.services import imports as services
from afterschool.schools.services.importing import KINDS
from afterschool.tenancy.actor import Actor

KIND_CHOICES = [(code, kind.label) for code, kind in KINDS.items()]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="导入内容", choices=KIND_CHOICES)
    file = forms.FileField(label="Excel 文件（.xlsx）", help_text="请使用本页下载的模板；所有行都正确才会导入。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )


def _admin(request: HttpRequest) -> Actor:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    if not actor.has_role(Role.SCHOOL_ADMIN):
        raise Http404()
    return actor


@login_required
@require_http_methods(["GET", "POST"])
def import_index(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    initial_kind = request.GET.get("kind") if request.GET.get("kind") in KINDS else "students"
    context: dict[str, Any] = {"kinds": KINDS.values()}
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            try:
                result = services.import_run(actor=actor, kind=kind, file=form.cleaned_data["file"])
            except services.ImportRejected as exc:
                context.update(rejected=exc, kind_label=KINDS[kind].label)
                status = 422
            except AppError as exc:
                form.add_error("file", exc.message)
                status = exc.status
            else:
                return render(
                    request, "schools/imports/result.html", {"result": result, "kind_label": KINDS[kind].label}
                )
        elif status == 200:
            status = 400
    else:
        form = ImportForm(initial={"kind": initial_kind})
    context["form"] = form
    return render(request, "schools/imports/index.html", context, status=status)


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    _admin(request)
    try:
        content = services.import_template(kind=kind)
    except NotFound:
        raise Http404() from None
    return xlsx_response(filename=f"{KINDS[kind].label}导入模板.xlsx", content=content)


@login_required
@require_GET
def import_error_file(request: HttpRequest, token: str) -> HttpResponse:
    actor = _admin(request)
    try:
        content = selectors.import_error_file_get(actor=actor, token=token)
    except NotFound:
        raise Http404() from None
    return xlsx_response(filename="导入错误.xlsx", content=content)


@login_required
@require_GET
def import_passwords(request: HttpRequest, token: str) -> HttpResponse:
    actor = _admin(request)
    try:
        content = services.import_passwords_take(actor=actor, token=token)
    except NotFound:
        raise Http404() from None
    response = xlsx_response(filename="初始密码.xlsx", content=content)
    response["Cache-Control"] = "no-store"
    return response


urlpatterns: list[URLPattern] = [
    path("imports/", import_index, name="import_index"),
    path("imports/template/<slug:kind>/", import_template, name="import_template"),
    path("imports/errors/<str:token>/", import_error_file, name="import_error_file"),
    path("imports/passwords/<str:token>/", import_passwords, name="import_passwords"),
]
