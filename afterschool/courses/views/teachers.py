"""Pages: organization teachers (§5.1.2 师资管理), their certificates, and the bureau's summary.

Lists, details and exports show personal data masked; "查看完整信息" reveals one value once (audited, permission
`view_personal_data`, never for a school); creating a teacher with an account shows its initial password once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import Permission, Role
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import xlsx_response
from afterschool.core.views import call_page, form_error_from, list_context, page_error

from ..choices import BackgroundCheck
from ..forms.teachers import CertificateForm, RevealForm, TeacherForm
from ..models import OrgTeacher
from ..selectors import dispatch as dispatch_selectors
from ..selectors import teachers as selectors
from ..services import teachers as services

YES_NO = [("1", "是"), ("0", "否")]


def _actor(request: HttpRequest, roles: tuple[str, ...] = selectors.PAGE_READERS) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_system_admin and not actor.has_role(*roles):
        raise DjangoPermissionDenied("当前角色不能查看机构教师")
    return actor


def _teacher(actor: Any, pk: int) -> OrgTeacher:
    return call_page(selectors.teacher_get, actor=actor, teacher_id=pk)  # type: ignore[no-any-return]


def _filters(request: HttpRequest, actor: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    specs: list[tuple[str, str, list[tuple[str, str]]]] = [
        ("background_check", "背景审查", list(BackgroundCheck.choices)),
        ("is_active", "在职", YES_NO),
        ("has_certificate", "有证书文件", YES_NO),
    ]
    organizations = [(str(o.pk), o.name) for o in selectors.organization_choices(actor=actor)]
    if len(organizations) > 1 or actor.has_role(Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN) or actor.is_system_admin:
        specs.insert(0, ("organization", "机构", organizations))
    values: dict[str, Any] = {"q": request.GET.get("q", "").strip()[:64]}
    rows = []
    for name, label, choices in specs:
        value = request.GET.get(name, "")
        values[name] = value if value in {c[0] for c in choices} else ""
        rows.append({"name": name, "label": label, "choices": choices, "value": values[name]})
    return values, rows


@login_required
def teacher_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    values, filter_rows = _filters(request, actor)
    if request.GET.get("export") == "xlsx":
        content = call_page(services.teacher_export, actor=actor, filters=values)
        return xlsx_response(filename="机构教师.xlsx", content=content)
    context = list_context(request, selectors.teacher_list(actor=actor, filters=values))
    context.update(
        {
            "filters": filter_rows,
            "q": values["q"],
            "can_create": selectors.may_edit_teachers(actor),
            "show_organization": not actor.has_role(*selectors.ORG_ROLES),
        }
    )
    template = "courses/teachers/_table.html" if request.htmx else "courses/teachers/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _render_detail(
    request: HttpRequest, teacher: OrgTeacher, *, revealed: dict[str, str] | None = None
) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    can_edit = selectors.may_edit_teachers(actor)
    context = {
        "obj": teacher,
        "certificates": selectors.certificate_list(actor=actor, teacher=teacher),
        "dispatches": dispatch_selectors.dispatch_list(actor=actor, filters={"teacher": teacher.pk})[:20],
        "can_edit": can_edit,
        "can_reveal": selectors.sees_personal_data(actor) and actor.has_permission(Permission.VIEW_PERSONAL_DATA),
        "revealed": revealed or {},
        "certificate_form": CertificateForm() if can_edit else None,
    }
    return render(request, "courses/teachers/detail.html", context)


@login_required
def teacher_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    return _render_detail(request, _teacher(actor, pk))


def _account_created(request: HttpRequest, user: Any, initial: str, *, back: str) -> HttpResponse:
    return render(
        request, "courses/teachers/account_created.html", {"new_user": user, "initial_password": initial, "back": back}
    )


def _form_view(request: HttpRequest, teacher: OrgTeacher | None) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    form = TeacherForm(request.POST or None, actor=actor, instance=teacher)
    if request.method == "POST" and form.is_valid():
        initial: str | None = None
        try:
            if teacher is None:
                saved, initial = services.teacher_create(actor=actor, data=form.service_data())
            else:
                saved = services.teacher_update(actor=actor, teacher=teacher, data=form.service_data())
        except (PermissionDenied, NotFound) as exc:
            raise page_error(exc) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"机构教师“{saved}”已保存。")
            back = reverse("courses:teacher_detail", args=[saved.pk])
            if initial is not None:
                return _account_created(request, saved.user, initial, back=back)
            return redirect(back)
    return render(request, "courses/teachers/form.html", {"form": form, "obj": teacher})


@login_required
def teacher_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not selectors.may_edit_teachers(actor):
        raise DjangoPermissionDenied("没有维护机构教师的权限")
    return _form_view(request, None)


@login_required
def teacher_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    teacher = _teacher(actor, pk)
    if not selectors.may_edit_teachers(actor):
        raise DjangoPermissionDenied("没有维护机构教师的权限")
    return _form_view(request, teacher)


@login_required
def teacher_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    teacher = _teacher(actor, pk)
    if not selectors.may_edit_teachers(actor):
        raise DjangoPermissionDenied("没有维护机构教师的权限")
    error = None
    if request.method == "POST":
        try:
            services.teacher_delete(actor=actor, teacher=teacher)
        except (PermissionDenied, NotFound) as exc:
            raise page_error(exc) from None
        except AppError as exc:
            error = exc.message
        else:
            messages.success(request, f"机构教师“{teacher}”已删除。")
            return redirect("courses:teacher_list")
    context = {"obj": teacher, "error": error, "in_use": teacher.dispatches.exists()}
    return render(request, "courses/teachers/confirm_delete.html", context, status=409 if error else 200)


@login_required
@require_POST
def teacher_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    teacher = _teacher(actor, pk)
    call_page(services.teacher_update, actor=actor, teacher=teacher, data={"is_active": False})
    messages.success(request, f"机构教师“{teacher}”已停用。")
    return redirect("courses:teacher_detail", pk=teacher.pk)


@login_required
@require_POST
def teacher_account(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    teacher = _teacher(actor, pk)
    try:
        initial = services.teacher_account_create(actor=actor, teacher=teacher)
    except (PermissionDenied, NotFound) as exc:
        raise page_error(exc) from None
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect("courses:teacher_detail", pk=teacher.pk)
    back = reverse("courses:teacher_detail", args=[teacher.pk])
    if initial is not None:
        teacher.refresh_from_db()
        return _account_created(request, teacher.user, initial, back=back)
    messages.success(request, "已关联该手机号的现有账号。")
    return redirect(back)


@login_required
@require_POST
def teacher_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    teacher = _teacher(actor, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return redirect("courses:teacher_detail", pk=teacher.pk)
    field = form.cleaned_data["field"]
    value = call_page(services.teacher_reveal, actor=actor, teacher=teacher, field=field)
    return _render_detail(request, teacher, revealed={field: value})


# --- certificates --------------------------------------------------------------------------------


@login_required
@require_POST
def certificate_upload(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    teacher = _teacher(actor, pk)
    form = CertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.certificate_upload(
                actor=actor, teacher=teacher, name=form.cleaned_data["name"], upload=form.cleaned_data["file"]
            )
        except (PermissionDenied, NotFound) as exc:
            raise page_error(exc) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, "证书已上传。")
            return redirect("courses:teacher_detail", pk=teacher.pk)
    context = {
        "obj": teacher,
        "certificates": selectors.certificate_list(actor=actor, teacher=teacher),
        "dispatches": [],
        "can_edit": True,
        "can_reveal": False,
        "revealed": {},
        "certificate_form": form,
    }
    return render(request, "courses/teachers/detail.html", context, status=422)


@login_required
def certificate_download(request: HttpRequest, pk: int, certificate_pk: int) -> HttpResponseBase:
    from afterschool.core.media import download_response

    actor = _actor(request)
    certificate = call_page(selectors.certificate_get, actor=actor, certificate_id=certificate_pk, teacher_id=pk)
    extension = certificate.file.name.rsplit(".", 1)[-1]
    return download_response(
        certificate.file, filename=f"{certificate.name}.{extension}", content_type=certificate.content_type
    )


@login_required
def certificate_delete(request: HttpRequest, pk: int, certificate_pk: int) -> HttpResponse:
    actor = _actor(request)
    certificate = call_page(selectors.certificate_get, actor=actor, certificate_id=certificate_pk, teacher_id=pk)
    if not selectors.may_edit_teachers(actor):
        raise DjangoPermissionDenied("没有维护机构教师的权限")
    if request.method == "POST":
        call_page(services.certificate_delete, actor=actor, certificate=certificate)
        messages.success(request, f"证书“{certificate.name}”已删除。")
        return redirect("courses:teacher_detail", pk=pk)
    return render(request, "courses/teachers/certificate_confirm_delete.html", {"obj": certificate})


# --- bureau summary ------------------------------------------------------------------------------


@login_required
def teacher_summary(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, roles=(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN))
    values = {"q": request.GET.get("q", "").strip()[:64]}
    if request.GET.get("export") == "xlsx":
        content = call_page(services.teacher_summary_export, actor=actor, filters=values)
        return xlsx_response(filename="机构师资汇总.xlsx", content=content)
    context = list_context(request, selectors.teacher_summary(actor=actor, filters=values))
    context["q"] = values["q"]
    return render(request, "courses/teachers/summary.html", context)


urlpatterns: list[URLPattern] = [
    path("teachers/", teacher_list, name="teacher_list"),
    path("teachers/new/", teacher_create, name="teacher_create"),
    path("teachers/summary/", teacher_summary, name="teacher_summary"),
    path("teachers/<int:pk>/", teacher_detail, name="teacher_detail"),
    path("teachers/<int:pk>/edit/", teacher_edit, name="teacher_edit"),
    path("teachers/<int:pk>/delete/", teacher_delete, name="teacher_delete"),
    path("teachers/<int:pk>/deactivate/", teacher_deactivate, name="teacher_deactivate"),
    path("teachers/<int:pk>/account/", teacher_account, name="teacher_account"),
    path("teachers/<int:pk>/reveal/", teacher_reveal, name="teacher_reveal"),
    path("teachers/<int:pk>/certificates/", certificate_upload, name="teacher_certificate_upload"),
    path(
        "teachers/<int:pk>/certificates/<int:certificate_pk>/",
        certificate_download,
        name="teacher_certificate_download",
    ),
    path(
        "teachers/<int:pk>/certificates/<int:certificate_pk>/delete/",
        certificate_delete,
        name="teacher_certificate_delete",
    ),
]
