"""Pages for regions, schools and organizations: the shared CRUD pages plus the organization status page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from afterschool.accounts.choices import Role
from afterschool.core.crud import Crud, Filter
from afterschool.core.errors import AppError, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.views import form_error_from

from . import selectors, services
from .choices import (
    ApplicationStatus,
    OrganizationKind,
    OrganizationStatus,
    PartnershipStatus,
    RegionLevel,
    SchoolNature,
    SchoolType,
)
from .forms import (
    ApplicationApproveForm,
    ApplicationForm,
    ApplicationLookupForm,
    ApplicationRejectForm,
    OrganizationForm,
    OrganizationStatusForm,
    PartnershipEndForm,
    PartnershipForm,
    RegionForm,
    SchoolForm,
)
from .models import Organization, School


@dataclass
class TemplatedCrud(Crud):
    """A Crud whose detail page has its own template and extra context (history, actions)."""

    detail_template: str = "core/crud/detail.html"
    detail_extra: Callable[[Any, Any], dict[str, Any]] | None = None

    def detail_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = self._actor(request)
        obj = self._get(actor, pk)
        context = self._base_context(request)
        context.update({"obj": obj, "fields": [(label, _resolve(obj, acc)) for label, acc in self.detail_fields]})
        if self.detail_extra is not None:
            context.update(self.detail_extra(actor, obj))
        return render(request, self.detail_template, context)


def _resolve(obj: Any, accessor: Any) -> Any:
    from afterschool.core.crud import _resolve as resolve

    return resolve(obj, accessor)


def _app_error_page(exc: AppError) -> None:
    """Refusals that are not form errors: 403 and 404 as Django's."""
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(exc.message) from None
    if isinstance(exc, NotFound):
        raise Http404 from None


ADMINS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)

region_crud = Crud(
    namespace="tenancy",
    name="region",
    verbose_name="区域",
    list_selector=selectors.region_list,
    get_selector=selectors.region_get,
    id_kwarg="region_id",
    form_class=RegionForm,
    columns=[("代码", "code"), ("名称", "name"), ("级别", "level"), ("上级", "parent.name")],
    detail_fields=[("行政区划代码", "code"), ("名称", "name"), ("级别", "level"), ("上级区域", "parent")],
    create_service=services.region_create,
    update_service=services.region_update,
    delete_service=services.region_delete,
    filters=[Filter("level", "级别", RegionLevel.choices)],
    read_roles=(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN),
    write_roles=(Role.SYSTEM_ADMIN,),
    search_placeholder="名称或代码",
)

school_crud = Crud(
    namespace="tenancy",
    name="school",
    verbose_name="学校",
    list_selector=selectors.school_list,
    get_selector=selectors.school_get,
    id_kwarg="school_id",
    form_class=SchoolForm,
    columns=[
        ("学校标识码", "code"),
        ("学校名称", "name"),
        ("办学类型", "school_type"),
        ("办学性质", "nature"),
        ("所属区县", "region.name"),
    ],
    detail_fields=[
        ("学校标识码", "code"),
        ("学校名称", "name"),
        ("所属区县", "region"),
        ("办学类型", "school_type"),
        ("办学性质", "nature"),
        ("地址", "address"),
        ("经度", "longitude"),
        ("纬度", "latitude"),
        ("联系电话", "contact_phone"),
        ("启用", lambda s: "是" if s.is_active else "否"),
    ],
    create_service=services.school_create,
    update_service=services.school_update,
    delete_service=services.school_delete,
    filters=[Filter("school_type", "办学类型", SchoolType.choices), Filter("nature", "办学性质", SchoolNature.choices)],
    read_roles=ADMINS,
    write_roles=(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN),
    self_edit_roles=(Role.SCHOOL_ADMIN,),
    search_placeholder="学校名称、标识码或地址",
)


def _organization_extra(actor: Any, organization: Any) -> dict[str, Any]:
    history = selectors.organization_status_history(actor=actor, organization_id=organization.pk)
    return {
        "history": history,
        "status_targets": services.status_targets(organization.status),
        "can_see_overview": actor.is_system_admin
        or actor.has_role(Role.BUREAU_ADMIN)
        or (actor.has_role(Role.ORG_ADMIN) and actor.organization_id == organization.pk),
    }


organization_crud = TemplatedCrud(
    namespace="tenancy",
    name="organization",
    verbose_name="第三方机构",
    list_selector=selectors.organization_list,
    get_selector=selectors.organization_get,
    id_kwarg="organization_id",
    form_class=OrganizationForm,
    columns=[
        ("统一社会信用代码", "credit_code"),
        ("机构名称", "name"),
        ("类型", "kind"),
        ("状态", "status"),
        ("注册区县", "region.name"),
    ],
    detail_fields=[
        ("统一社会信用代码", "credit_code"),
        ("机构名称", "name"),
        ("类型", "kind"),
        ("状态", "status"),
        ("注册区县", "region"),
        ("联系人", "contact_name"),
        ("联系电话", "contact_phone"),
        ("地址", "address"),
    ],
    create_service=services.organization_create,
    update_service=services.organization_update,
    delete_service=services.organization_delete,
    filters=[Filter("status", "状态", OrganizationStatus.choices), Filter("kind", "类型", OrganizationKind.choices)],
    read_roles=ADMINS,
    write_roles=(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN),
    self_edit_roles=(Role.ORG_ADMIN,),
    search_placeholder="机构名称或信用代码",
    detail_template="tenancy/organization_detail.html",
    detail_extra=_organization_extra,
)


@login_required
def organization_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an organization's status. Suspending or exiting goes through a confirmation page that lists the
    schools still cooperating with it (they will have to handle their scheduled courses)."""
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_system_admin and not actor.has_role(Role.BUREAU_ADMIN):
        raise DjangoPermissionDenied("只有教育局管理员可以变更机构状态")
    try:
        organization = selectors.organization_get(actor=actor, organization_id=pk)
    except NotFound:
        raise Http404 from None
    form = OrganizationStatusForm(request.POST or None, current=organization.status)
    schools = selectors.active_partner_schools(organization=organization)
    context: dict[str, Any] = {"form": form, "obj": organization, "schools": schools}
    if request.method == "POST" and form.is_valid():
        status = form.cleaned_data["status"]
        destructive = status in (OrganizationStatus.SUSPENDED, OrganizationStatus.EXITED)
        if destructive and not form.cleaned_data["reason"].strip():
            form.add_error("reason", "暂停或退出须填写原因")
        elif destructive and request.POST.get("confirmed") != "1":
            context.update(
                {
                    "status_label": OrganizationStatus(status).label,
                    "status": status,
                    "exiting": status == OrganizationStatus.EXITED,
                }
            )
            return render(request, "tenancy/organization_status_confirm.html", context)
        else:
            try:
                services.organization_set_status(
                    actor=actor, organization=organization, status=status, reason=form.cleaned_data["reason"]
                )
            except AppError as exc:
                if isinstance(exc, PermissionDenied | NotFound):
                    _app_error_page(exc)
                form_error_from(form, exc)
            else:
                messages.success(request, "机构状态已更新。")
                return redirect("tenancy:organization_detail", pk)
    return render(request, "tenancy/organization_status.html", context)


# --- public application (no login) ---------------------------------------------------------------------------
APPLY_SESSION_KEY = "tenancy_apply_reference"
APPROVAL_SESSION_KEY = "tenancy_initial_password"


def _client_ip(request: HttpRequest) -> str:
    from afterschool.accounts.middleware import client_ip

    return client_ip(request)


@require_http_methods(["GET", "POST"])
def apply_view(request: HttpRequest) -> HttpResponse:
    """入驻申请: public form, CSRF-protected, rate-limited per client address, audited."""
    form = ApplicationForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        try:
            services.application_rate_check(client_ip=_client_ip(request))
        except services.RateLimited as exc:
            form.is_valid()
            form.add_error(None, exc.message)
            return render(request, "tenancy/apply/form.html", {"form": form}, status=429)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "licence"}
            try:
                application = services.application_submit(
                    client_ip=_client_ip(request), data=data, licence=form.cleaned_data["licence"]
                )
            except AppError as exc:
                form_error_from(form, exc)
            else:
                request.session[APPLY_SESSION_KEY] = application.reference
                return redirect("tenancy:apply_done")
        status = 422 if form.errors else 200
    return render(request, "tenancy/apply/form.html", {"form": form}, status=status)


def apply_done_view(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(APPLY_SESSION_KEY)
    if not reference:
        return redirect("tenancy:apply")
    return render(request, "tenancy/apply/done.html", {"reference": reference})


def apply_status_view(request: HttpRequest) -> HttpResponse:
    """Look up an application by reference number and credit code (both must match)."""
    form = ApplicationLookupForm(request.GET if "reference" in request.GET else None)
    context: dict[str, Any] = {"form": form, "searched": False}
    if form.is_bound and form.is_valid():
        try:
            services.application_lookup_rate_check(client_ip=_client_ip(request))
        except services.RateLimited as exc:
            form.add_error(None, exc.message)
            return render(request, "tenancy/apply/status.html", context, status=429)
        context["searched"] = True
        context["application"] = selectors.application_lookup(
            reference=form.cleaned_data["reference"], credit_code=form.cleaned_data["credit_code"]
        )
    return render(request, "tenancy/apply/status.html", context)


# --- bureau review -------------------------------------------------------------------------------------------
class _NoForm(forms.ModelForm):  # type: ignore[type-arg]
    """Applications are not edited through a form; the Crud needs a form class only for its edit pages."""


application_crud = Crud(
    namespace="tenancy",
    name="application",
    verbose_name="入驻申请",
    list_selector=selectors.application_list,
    get_selector=selectors.application_get,
    id_kwarg="application_id",
    form_class=_NoForm,
    columns=[
        ("申请编号", "reference"),
        ("机构名称", "name"),
        ("统一社会信用代码", "credit_code"),
        ("类型", "kind"),
        ("区县", "region.name"),
        ("状态", "status"),
        ("提交时间", lambda a: a.created_at.strftime("%Y-%m-%d %H:%M")),
    ],
    detail_fields=[],
    filters=[
        Filter("status", "状态", ApplicationStatus.choices),
        Filter("region", "区县", lambda actor: selectors.review_region_choices(actor=actor)),
        Filter("kind", "类型", OrganizationKind.choices),
    ],
    read_roles=(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN),
    write_roles=(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN),
    search_placeholder="机构名称、信用代码或申请编号",
)


def _reviewer(request: HttpRequest) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_system_admin and not actor.has_role(Role.BUREAU_ADMIN):
        raise DjangoPermissionDenied("只有教育局管理员可以审核入驻申请")
    return actor


def _application(actor: Any, pk: int) -> Any:
    try:
        return selectors.application_get(actor=actor, application_id=pk)
    except NotFound:
        raise Http404 from None


@login_required
def application_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reviewer(request)
    application = _application(actor, pk)
    from afterschool.core.choices import CourseCategory

    categories = [CourseCategory(c).label for c in application.course_categories if c in CourseCategory.values]
    context = {
        "obj": application,
        "categories": categories,
        "history": selectors.application_history(actor=actor, application=application),
        "can_review": application.status == ApplicationStatus.SUBMITTED,
    }
    return render(request, "tenancy/applications/detail.html", context)


@login_required
def application_licence_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The licence file, only after the application was loaded through the scoped selector."""
    from afterschool.core.media import download_response

    actor = _reviewer(request)
    application = _application(actor, pk)
    if not application.licence:
        raise Http404
    name = application.licence.name.rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else "pdf"
    content_type = {"pdf": "application/pdf", "png": "image/png"}.get(extension, "image/jpeg")
    return download_response(
        application.licence, filename=f"{application.reference}-营业执照.{extension}", content_type=content_type
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reviewer(request)
    application = _application(actor, pk)
    form = ApplicationApproveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            approval = services.application_approve(
                actor=actor, application_id=application.pk, comment=form.cleaned_data["comment"]
            )
        except AppError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                _app_error_page(exc)
            form_error_from(form, exc)
        else:
            # Shown once on the next page, then dropped from the session; never stored anywhere else.
            request.session[APPROVAL_SESSION_KEY] = {
                "application": approval.application.pk,
                "username": approval.username,
                "password": approval.initial_password,
            }
            return redirect("tenancy:application_approved", application.pk)
    existing = (
        Organization.objects.filter(credit_code=application.credit_code).first()
        if application.status == ApplicationStatus.SUBMITTED
        else None
    )
    context = {"obj": application, "form": form, "existing": existing}
    return render(request, "tenancy/applications/approve.html", context, status=422 if form.errors else 200)


@login_required
def application_approved_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reviewer(request)
    application = _application(actor, pk)
    shown = request.session.get(APPROVAL_SESSION_KEY)
    secret = None
    if isinstance(shown, dict) and shown.get("application") == application.pk:
        secret = request.session.pop(APPROVAL_SESSION_KEY)
    response = render(request, "tenancy/applications/approved.html", {"obj": application, "secret": secret})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def application_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reviewer(request)
    application = _application(actor, pk)
    form = ApplicationRejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_reject(actor=actor, application_id=application.pk, reason=form.cleaned_data["reason"])
        except AppError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                _app_error_page(exc)
            form_error_from(form, exc)
        else:
            messages.success(request, f"入驻申请 {application.reference} 已驳回。")
            return redirect("tenancy:application_detail", application.pk)
    context = {"obj": application, "form": form}
    return render(request, "tenancy/applications/reject.html", context, status=422 if form.errors else 200)


# --- partnerships --------------------------------------------------------------------------------------------
def _partnership_create(*, actor: Any, data: dict[str, Any]) -> Any:
    school = data.get("school")
    if school is None:
        if actor.school_id is None:
            raise ValidationFailed({"school": ["请选择学校"]})
        school = School(pk=actor.school_id)
    return services.partnership_create(
        actor=actor,
        school=school,
        organization=data["organization"],
        starts_on=data["starts_on"],
        ends_on=data.get("ends_on"),
    )


def _partnership_extra(actor: Any, partnership: Any) -> dict[str, Any]:
    writable = partnership.status == PartnershipStatus.ACTIVE and (
        actor.is_system_admin or (actor.has_role(Role.SCHOOL_ADMIN) and actor.school_id == partnership.school_id)
    )
    return {"writable": writable, "can_edit": writable}


def _school_choices(actor: Any) -> list[tuple[str, str]]:
    return [(str(s.pk), s.name) for s in selectors.school_list(actor=actor)[:500]]


def _organization_choices(actor: Any) -> list[tuple[str, str]]:
    return [(str(o.pk), o.name) for o in selectors.organization_list(actor=actor)[:500]]


partnership_crud = TemplatedCrud(
    namespace="tenancy",
    name="partnership",
    verbose_name="合作关系",
    list_selector=selectors.partnership_list,
    get_selector=selectors.partnership_get,
    id_kwarg="partnership_id",
    form_class=PartnershipForm,
    columns=[
        ("学校", "school.name"),
        ("机构", "organization.name"),
        ("开始日期", "starts_on"),
        ("结束日期", lambda p: p.ends_on or "长期"),
        ("状态", "status"),
    ],
    detail_fields=[
        ("学校", "school"),
        ("机构", "organization"),
        ("开始日期", "starts_on"),
        ("结束日期", lambda p: p.ends_on or "长期"),
        ("状态", "status"),
        ("结束原因", "end_reason"),
    ],
    create_service=_partnership_create,
    update_service=services.partnership_update,
    filters=[
        Filter("school", "学校", _school_choices),
        Filter("organization", "机构", _organization_choices),
        Filter("status", "状态", PartnershipStatus.choices),
    ],
    read_roles=(
        Role.SYSTEM_ADMIN,
        Role.BUREAU_ADMIN,
        Role.SCHOOL_ADMIN,
        Role.ORG_ADMIN,
        Role.ORG_STAFF,
        Role.ORG_TEACHER,
    ),
    write_roles=(Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN),
    search_placeholder="学校或机构名称",
    detail_template="tenancy/partnerships/detail.html",
    detail_extra=_partnership_extra,
)


@login_required
@require_http_methods(["GET", "POST"])
def partnership_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_system_admin and not actor.has_role(Role.SCHOOL_ADMIN):
        raise DjangoPermissionDenied("只有学校管理员可以结束合作")
    try:
        partnership = selectors.partnership_get(actor=actor, partnership_id=pk)
    except NotFound:
        raise Http404 from None
    form = PartnershipEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partnership_end(
                actor=actor,
                partnership=partnership,
                reason=form.cleaned_data["reason"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except AppError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                _app_error_page(exc)
            form_error_from(form, exc)
        else:
            messages.success(request, "合作已结束。")
            return redirect("tenancy:partnership_detail", pk)
    context = {"obj": partnership, "form": form}
    return render(request, "tenancy/partnerships/end.html", context, status=422 if form.errors else 200)
