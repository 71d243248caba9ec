"""Pages: students (with their guardians), guardians and staff, on the shared CRUD pages.

Differences from the plain Crud: lists and exports show masked personal data (an unmasked export needs the
`view_personal_data` permission and is audited); the detail pages show guardians and a "查看完整信息" button
that reveals one value once (audited); creating a staff member or a guardian shows the new account's initial
password once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import Permission, Role
from afterschool.core.crud import Crud, Filter, _resolve
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import xlsx_response
from afterschool.core.views import form_error_from, list_context

from ..choices import Gender, GuardianRelation, StaffRole
from ..forms_people import GuardianForm, GuardianLinkForm, RevealForm, StaffForm, StudentForm
from ..selectors import people as selectors
from ..services import people as services

READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
WRITERS = (Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN)
ACTIVE_CHOICES = [("1", "是"), ("0", "否")]


def _app_error_to_django(exc: AppError) -> Exception:
    if isinstance(exc, PermissionDenied):
        return DjangoPermissionDenied(exc.message)
    return Http404()


@dataclass
class PeopleCrud(Crud):
    """Crud with masked export (unmasked on request), a detail template of its own and one-time passwords."""

    export_service: Callable[..., bytes] | None = None
    detail_template: str = ""
    detail_context: Callable[..., dict[str, Any]] | None = None
    delete_template: str = "core/crud/confirm_delete.html"
    delete_context: Callable[..., dict[str, Any]] | None = None

    def _filter_rows(self, request: HttpRequest, actor: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        values: dict[str, Any] = {"q": request.GET.get("q", "")}
        rows = []
        for flt in self.filters:
            choices = flt.choices(actor) if callable(flt.choices) else flt.choices
            value = request.GET.get(flt.name, "")
            values[flt.name] = value if value in {str(c[0]) for c in choices} else ""
            rows.append({"name": flt.name, "label": flt.label, "choices": choices, "value": values[flt.name]})
        return values, rows

    def list_view(self, request: HttpRequest) -> HttpResponse:
        actor = self._actor(request)
        values, filter_rows = self._filter_rows(request, actor)
        if request.GET.get("export") == "xlsx":
            assert self.export_service is not None
            try:
                content = self.export_service(actor=actor, filters=values, unmasked=request.GET.get("unmasked") == "1")
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from None
            return xlsx_response(filename=f"{self.verbose_name}.xlsx", content=content)
        queryset = self.list_selector(actor=actor, filters=values)
        context = self._base_context(request)
        context.update(list_context(request, queryset))
        context["rows"] = [
            {
                "obj": obj,
                "cells": [(label, _resolve(obj, acc)) for label, acc in self.columns],
                "url": self.url("detail", obj.pk),
            }
            for obj in context["page"].items
        ]
        context.update(
            {
                "headers": [label for label, _ in self.columns],
                "filters": filter_rows,
                "q": values["q"],
                "can_unmask": actor.has_permission(Permission.VIEW_PERSONAL_DATA),
            }
        )
        template = "core/crud/_table.html" if request.htmx else "schools/people/list.html"  # type: ignore[attr-defined]
        return render(request, template, context)

    def render_detail(
        self,
        request: HttpRequest,
        obj: Any,
        *,
        revealed: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> HttpResponse:
        actor = request.actor  # type: ignore[attr-defined]
        context = self._base_context(request)
        context.update(
            {
                "obj": obj,
                "fields": [(label, _resolve(obj, acc)) for label, acc in self.detail_fields],
                "can_reveal": actor.has_permission(Permission.VIEW_PERSONAL_DATA),
                "revealed": revealed or {},
            }
        )
        if self.detail_context is not None:
            context.update(self.detail_context(actor=actor, obj=obj, revealed=revealed or {}))
        context.update(extra or {})
        return render(request, self.detail_template, context)

    def detail_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = self._actor(request)
        return self.render_detail(request, self._get(actor, pk))

    def _form_view(self, request: HttpRequest, obj: Any | None) -> HttpResponse:
        actor = request.actor  # type: ignore[attr-defined]
        form = self.form_class(request.POST or None, instance=obj, actor=actor)  # type: ignore[call-arg]
        if request.method == "POST" and form.is_valid():
            initial: str | None = None
            try:
                if obj is None:
                    assert self.create_service is not None
                    saved = self.create_service(actor=actor, data=dict(form.cleaned_data))
                    if isinstance(saved, tuple):
                        saved, initial = saved
                else:
                    assert self.update_service is not None
                    data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
                    saved = self.update_service(actor=actor, **{self.name: obj}, data=data)
            except (PermissionDenied, NotFound) as exc:
                raise _app_error_to_django(exc) from None
            except AppError as exc:
                form_error_from(form, exc)
            else:
                messages.success(request, f"{self.verbose_name}“{saved}”已保存。")
                if initial is not None:
                    return _account_created(request, saved.user, initial, back=self.url("detail", saved.pk))
                return redirect(self.url("detail", saved.pk))
        context = self._base_context(request)
        context.update({"form": form, "obj": obj})
        return render(request, "core/crud/form.html", context)

    def delete_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = self._actor(request, write=True)
        obj = self._get(actor, pk)
        error = None
        if request.method == "POST":
            try:
                assert self.delete_service is not None
                self.delete_service(actor=actor, **{self.name: obj})
            except (PermissionDenied, NotFound) as exc:
                raise _app_error_to_django(exc) from None
            except AppError as exc:
                error = exc.message
            else:
                messages.success(request, f"{self.verbose_name}“{obj}”已删除。")
                return redirect(self.url("list"))
        context = self._base_context(request)
        context.update({"obj": obj, "error": error})
        if self.delete_context is not None:
            context.update(self.delete_context(actor=actor, obj=obj))
        return render(request, self.delete_template, context, status=409 if error else 200)


def _account_created(request: HttpRequest, user: Any, initial: str, *, back: str) -> HttpResponse:
    """The initial password of a new account, shown this once and never stored in clear."""
    context = {"new_user": user, "initial_password": initial, "back": back}
    return render(request, "schools/people/account_created.html", context)


def _grade_choices(actor: Any) -> list[tuple[str, str]]:
    return [(str(g.pk), str(g)) for g in selectors.grade_choices(actor=actor)]


def _class_choices(actor: Any) -> list[tuple[str, str]]:
    return [(str(c.pk), str(c)) for c in selectors.class_choices(actor=actor)]


def _student_context(*, actor: Any, obj: Any, revealed: dict[str, str]) -> dict[str, Any]:
    links = list(selectors.guardian_links_of(actor=actor, student=obj))
    for link in links:
        link.revealed_mobile = revealed.get(f"guardian:{link.pk}", "")  # type: ignore[attr-defined]
    return {"guardian_links": links}


student_crud = PeopleCrud(
    namespace="schools",
    name="student",
    verbose_name="学生",
    list_selector=selectors.student_list,
    get_selector=selectors.student_get,
    id_kwarg="student_id",
    form_class=StudentForm,
    columns=[
        ("学籍号", "student_number"),
        ("姓名", "name"),
        ("性别", "gender"),
        ("年级", "grade.name"),
        ("班级", "school_class.name"),
        ("身份证号", "id_number_masked"),
        ("在读", lambda s: "是" if s.is_active else "否"),
    ],
    detail_fields=[
        ("学校", "school.name"),
        ("学籍号", "student_number"),
        ("姓名", "name"),
        ("性别", "gender"),
        ("出生日期", "birth_date"),
        ("年级", "grade.name"),
        ("班级", "school_class.name"),
        ("在读", lambda s: "是" if s.is_active else "否"),
    ],
    create_service=services.student_create,
    update_service=services.student_update,
    delete_service=services.student_delete,
    filters=[
        Filter("grade", "年级", _grade_choices),
        Filter("school_class", "班级", _class_choices),
        Filter("gender", "性别", Gender.choices),
        Filter("is_active", "在读", ACTIVE_CHOICES),
    ],
    read_roles=READERS,
    write_roles=WRITERS,
    search_placeholder="姓名、学籍号，或完整身份证号、监护人手机号",
    export_service=services.student_export,
    detail_template="schools/people/student_detail.html",
    detail_context=_student_context,
)


def _subject_choices(actor: Any) -> list[tuple[str, str]]:
    return [(s, s) for s in selectors.staff_subjects(actor=actor)]


def _staff_delete_context(*, actor: Any, obj: Any) -> dict[str, Any]:
    return {"references": selectors.staff_references(staff=obj)}


staff_crud = PeopleCrud(
    namespace="schools",
    name="staff",
    verbose_name="教职工",
    list_selector=selectors.staff_list,
    get_selector=selectors.staff_get,
    id_kwarg="staff_id",
    form_class=StaffForm,
    columns=[
        ("工号", "employee_number"),
        ("姓名", "name"),
        ("手机号", "mobile_masked"),
        ("任教学科", "subjects"),
        ("岗位", lambda s: "、".join(str(dict(StaffRole.choices).get(r, r)) for r in s.roles)),
        ("在职", lambda s: "是" if s.is_active else "否"),
    ],
    detail_fields=[
        ("学校", "school.name"),
        ("工号", "employee_number"),
        ("姓名", "name"),
        ("任教学科", "subjects"),
        ("岗位", lambda s: "、".join(str(dict(StaffRole.choices).get(r, r)) for r in s.roles)),
        ("教师账号", lambda s: s.user.username if s.user else "未开通"),
        ("在职", lambda s: "是" if s.is_active else "否（已停用）"),
    ],
    create_service=services.staff_create,
    update_service=services.staff_update,
    delete_service=services.staff_delete,
    filters=[
        Filter("role", "岗位", StaffRole.choices),
        Filter("subject", "学科", _subject_choices),
        Filter("is_active", "在职", ACTIVE_CHOICES),
    ],
    read_roles=READERS,
    write_roles=WRITERS,
    search_placeholder="姓名、工号或完整手机号",
    export_service=services.staff_export,
    detail_template="schools/people/staff_detail.html",
    delete_template="schools/people/staff_confirm_delete.html",
    delete_context=_staff_delete_context,
)


def _guardian_context(*, actor: Any, obj: Any, revealed: dict[str, str]) -> dict[str, Any]:
    return {
        "children": list(selectors.guardian_children(actor=actor, guardian=obj)),
        "link_counts": selectors.guardian_link_counts(actor=actor, guardian=obj),
    }


def _guardian_delete_context(*, actor: Any, obj: Any) -> dict[str, Any]:
    return {"link_counts": selectors.guardian_link_counts(actor=actor, guardian=obj)}


# Guardians are created on a student's page (same mobile = same guardian); here they are listed, edited, deleted.
guardian_crud = PeopleCrud(
    namespace="schools",
    name="guardian",
    verbose_name="监护人",
    list_selector=selectors.guardian_list,
    get_selector=selectors.guardian_get,
    id_kwarg="guardian_id",
    form_class=GuardianForm,
    columns=[
        ("姓名", "name"),
        ("手机号", "mobile_masked"),
        ("家长账号", lambda g: "已开通" if g.user_id else "未开通"),
    ],
    detail_fields=[
        ("姓名", "name"),
        ("家长账号", lambda g: f"已开通（{g.user.username}）" if g.user else "未开通"),
    ],
    update_service=services.guardian_update,
    delete_service=services.guardian_delete,
    filters=[
        Filter("relation", "关系", GuardianRelation.choices),
        Filter("has_account", "已开通账号", ACTIVE_CHOICES),
    ],
    read_roles=READERS,
    write_roles=WRITERS,
    search_placeholder="姓名或完整手机号",
    export_service=services.guardian_export,
    detail_template="schools/people/guardian_detail.html",
    detail_context=_guardian_context,
    delete_template="schools/people/guardian_confirm_delete.html",
    delete_context=_guardian_delete_context,
)


# --- reveal, guardians, deactivation -------------------------------------------------------------


def _get(getter: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return getter(**kwargs)
    except NotFound:
        raise Http404 from None


@login_required
@require_POST
def student_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    actor = student_crud._actor(request)
    student = _get(selectors.student_get, actor=actor, student_id=pk)
    form = RevealForm(request.POST)
    field = form.data.get("field", "")
    try:
        if field == "mobile":
            link = _get(selectors.guardian_link_get, actor=actor, student=student, link_id=request.POST.get("link"))
            value = services.guardian_reveal(actor=actor, guardian=link.guardian, field="mobile")
            revealed = {f"guardian:{link.pk}": value}
        else:
            revealed = {"id_number": services.student_reveal(actor=actor, student=student, field="id_number")}
    except AppError as exc:
        raise _app_error_to_django(exc) from None
    return student_crud.render_detail(request, student, revealed=revealed)


@login_required
@require_POST
def staff_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_crud._actor(request)
    staff = _get(selectors.staff_get, actor=actor, staff_id=pk)
    try:
        value = services.staff_reveal(actor=actor, staff=staff, field="mobile")
    except AppError as exc:
        raise _app_error_to_django(exc) from None
    return staff_crud.render_detail(request, staff, revealed={"mobile": value})


@login_required
@require_POST
def guardian_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    actor = guardian_crud._actor(request)
    guardian = _get(selectors.guardian_get, actor=actor, guardian_id=pk)
    try:
        value = services.guardian_reveal(actor=actor, guardian=guardian, field="mobile")
    except AppError as exc:
        raise _app_error_to_django(exc) from None
    return guardian_crud.render_detail(request, guardian, revealed={"mobile": value})


@login_required
def guardian_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = student_crud._actor(request, write=True)
    student = _get(selectors.student_get, actor=actor, student_id=pk)
    form = GuardianLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link, initial = services.guardian_add(actor=actor, student=student, **form.cleaned_data)
        except (PermissionDenied, NotFound) as exc:
            raise _app_error_to_django(exc) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"已添加监护人“{link.guardian.name}”。")
            back = student_crud.url("detail", student.pk)
            if initial is not None:
                return _account_created(request, link.guardian.user, initial, back=back)
            return redirect(back)
    return render(request, "schools/people/guardian_form.html", {"form": form, "student": student})


@login_required
def guardian_remove(request: HttpRequest, pk: int, link_id: int) -> HttpResponse:
    actor = student_crud._actor(request, write=True)
    student = _get(selectors.student_get, actor=actor, student_id=pk)
    link = _get(selectors.guardian_link_get, actor=actor, student=student, link_id=link_id)
    error = None
    if request.method == "POST":
        try:
            services.guardian_remove(actor=actor, link=link)
        except (PermissionDenied, NotFound) as exc:
            raise _app_error_to_django(exc) from None
        except AppError as exc:
            error = exc.message
        else:
            messages.success(request, f"已移除监护人“{link.guardian.name}”。")
            return redirect(student_crud.url("detail", student.pk))
    context = {"student": student, "link": link, "error": error}
    return render(request, "schools/people/guardian_remove.html", context, status=409 if error else 200)


@login_required
@require_POST
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_crud._actor(request, write=True)
    staff = _get(selectors.staff_get, actor=actor, staff_id=pk)
    try:
        services.staff_update(actor=actor, staff=staff, data={"is_active": False})
    except AppError as exc:
        raise _app_error_to_django(exc) from None
    messages.success(request, f"教职工“{staff}”已停用（离职）。")
    return redirect(staff_crud.url("detail", staff.pk))


urlpatterns: list[URLPattern] = [
    *student_crud.urls("students"),
    path("students/<int:pk>/reveal/", student_reveal, name="student_reveal"),
    path("students/<int:pk>/guardians/add/", guardian_add, name="guardian_add"),
    path("students/<int:pk>/guardians/<int:link_id>/remove/", guardian_remove, name="guardian_remove"),
    *staff_crud.urls("staff"),
    path("staff/<int:pk>/reveal/", staff_reveal, name="staff_reveal"),
    path("staff/<int:pk>/deactivate/", staff_deactivate, name="staff_deactivate"),
    *guardian_crud.urls("guardians"),
    path("guardians/<int:pk>/reveal/", guardian_reveal, name="guardian_reveal"),
]
