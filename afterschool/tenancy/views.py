"""Pages for regions, schools and organizations: the shared CRUD pages plus the organization status page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from afterschool.accounts.choices import Role
from afterschool.core.crud import Crud, Filter
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.views import form_error_from

from . import selectors, services
from .choices import OrganizationKind, OrganizationStatus, RegionLevel, SchoolNature, SchoolType
from .forms import OrganizationForm, OrganizationStatusForm, RegionForm, SchoolForm

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

organization_crud = Crud(
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
)


@login_required
def organization_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        organization = selectors.organization_get(actor=actor, organization_id=pk)
    except NotFound:
        raise Http404 from None
    form = OrganizationStatusForm(request.POST or None, initial={"status": organization.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_set_status(
                actor=actor,
                organization=organization,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, "机构状态已更新。")
            return redirect("tenancy:organization_detail", pk)
    return render(request, "tenancy/organization_status.html", {"form": form, "obj": organization})
