"""Account pages: login, logout, password change, role switch, users, audit log, API tokens. Thin."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import call_page, form_error_from, list_context
from afterschool.tenancy import selectors as tenancy_selectors

from . import selectors, services
from .choices import AuditEventType, AuditOutcome, OrgPermission, Role
from .forms import LoginForm, OrgMemberRolesForm, OrgRoleForm, PasswordChangeForm, TokenIssueForm, UserCreateForm
from .middleware import client_ip

ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)


def _require_role(request: HttpRequest, *roles: str) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.has_role(*roles):
        raise DjangoPermissionDenied("该页面不属于当前角色")
    return actor


class PlatformLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        remaining = services.address_block_remaining(ip_address=client_ip(request))
        if remaining:
            message = f"此网络地址登录失败次数过多，已暂时限制登录。请在 {_minutes(remaining)} 分钟后再试。"
            return _locked_page(request, message, remaining)
        return super().post(request, *args, **kwargs)


def _minutes(remaining: Any) -> int:
    return max(1, math.ceil(remaining.total_seconds() / 60))


def _locked_page(request: HttpRequest, message: str, remaining: Any) -> HttpResponse:
    return render(
        request,
        "accounts/login.html",
        {"form": LoginForm(request), "lockout_message": message, "lockout_minutes": _minutes(remaining)},
        status=429,
    )


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """Shown instead of the login page while the account is locked; says for how long."""
    username = services.login_identity_for_lockout(request, credentials)
    remaining = services.lockout_remaining(username=username)
    message = f"登录失败次数过多，账号已锁定。请在 {_minutes(remaining)} 分钟后再试，或联系管理员解锁。"
    return _locked_page(request, message, remaining)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)  # flushes the session on the server, not just the cookie
    messages.info(request, "您已安全退出。")
    return redirect("accounts:login")


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                actor=actor,
                user=request.user,  # type: ignore[arg-type]
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except AppError as exc:
            if isinstance(exc.detail, dict) and "password" in exc.detail:
                exc.detail = {"new_password": exc.detail["password"]}
            form_error_from(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(request, "密码已修改。")
            return redirect("core:home")
    forced = getattr(request.user, "must_change_password", False)
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced})


@login_required
@require_POST
def role_switch_view(request: HttpRequest) -> HttpResponse:
    try:
        membership = services.role_switch(
            actor=request.actor,  # type: ignore[attr-defined]
            request=request,
            membership_id=request.POST.get("membership"),
        )
    except NotFound:
        raise Http404 from None
    messages.success(request, f"已切换为：{membership}")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
def user_list_view(request: HttpRequest) -> HttpResponse:
    actor = _require_account_manager(request)
    filters = {"q": request.GET.get("q", ""), "role": request.GET.get("role", "")}
    queryset = selectors.user_list(actor=actor, filters=filters).prefetch_related("memberships")
    if request.GET.get("export") == "xlsx":
        rows = (
            (
                u.username,
                u.display_name,
                u.mobile_masked,
                "、".join(str(m) for m in u.memberships.all()),
                "启用" if u.is_active else "停用",
            )
            for u in queryset
        )
        services.record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": "users", **filters})
        return xlsx_response(
            filename="账号列表.xlsx",
            content=build_xlsx(headers=["用户名", "姓名", "手机号", "角色", "状态"], rows=rows, sheet_title="账号"),
        )
    context = list_context(request, queryset)
    context.update(
        {
            "filters": filters,
            "roles": Role.choices,
            "can_reset": actor.has_role(*ADMIN_ROLES),
            "org_roles_link": _can_write_org_roles(actor),
        }
    )
    return render(request, "accounts/user_list.html", context)


def _require_account_manager(request: HttpRequest) -> Any:
    """Account pages: administrators, and organization teachers/staff holding 账号与角色管理."""
    actor = request.actor  # type: ignore[attr-defined]
    if not services.can_manage_accounts(actor):
        raise DjangoPermissionDenied("该页面不属于当前角色")
    return actor


@login_required
def user_create_view(request: HttpRequest) -> HttpResponse:
    actor = _require_account_manager(request)
    grantable = services.grantable_roles(actor)
    roles = [(value, label) for value, label in Role.choices if value in grantable]
    form = UserCreateForm(
        request.POST or None,
        roles=roles,
        regions=tenancy_selectors.region_list(actor=actor),
        schools=tenancy_selectors.school_list(actor=actor),
        organizations=tenancy_selectors.organization_list(actor=actor),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, initial = services.user_create(
                actor=actor,
                username=data["username"],
                display_name=data["display_name"],
                mobile=data["mobile"] or "",
                role=data["role"],
                region=data["region"],
                school=data["school"] or (actor.membership.school if actor.school_id else None),
                organization=data["organization"] or (actor.membership.organization if actor.organization_id else None),
            )
        except AppError as exc:
            form_error_from(form, exc)
        else:
            membership = user.memberships.get()
            return render(
                request,
                "accounts/user_created.html",
                {
                    "new_user": user,
                    "initial_password": initial,
                    "assign_roles_membership": membership
                    if membership.role in services.ORG_ROLE_HOLDERS and _can_write_org_roles(actor)
                    else None,
                },
            )
    return render(request, "accounts/user_create.html", {"form": form})


@login_required
@require_POST
def user_unlock_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _require_role(request, *ADMIN_ROLES)
    try:
        user = selectors.user_get(actor=actor, user_id=user_id)
        services.user_unlock(actor=actor, user=user)
    except NotFound:
        raise Http404 from None
    messages.success(request, f"已解除 {user.username} 的登录锁定。")
    return redirect("accounts:user_list")


@login_required
@require_POST
def user_password_reset_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _require_role(request, *ADMIN_ROLES)
    try:
        user = selectors.user_get(actor=actor, user_id=user_id)
        initial = services.password_reset(actor=actor, user=user)
    except NotFound:
        raise Http404 from None
    return render(request, "accounts/user_created.html", {"new_user": user, "initial_password": initial, "reset": True})


@login_required
def audit_list_view(request: HttpRequest) -> HttpResponse:
    actor = _require_role(request, *ADMIN_ROLES)
    filters = {k: request.GET.get(k, "") for k in ("q", "event", "outcome", "date_from", "date_to")}
    try:
        queryset = selectors.audit_list(actor=actor, filters=filters)
        if request.GET.get("export") == "xlsx":
            rows = (
                (
                    e.pk,
                    e.occurred_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                    e.username,
                    e.role_label,
                    e.client_ip,
                    e.event_label,
                    e.object_repr,
                    e.get_outcome_display(),
                )
                for e in queryset.iterator()
            )
            content = build_xlsx(
                headers=["序号", "时间", "用户", "角色", "客户端地址", "事件", "对象", "结果"],
                rows=rows,
                sheet_title="审计日志",
            )
            services.record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": "audit"})
            return xlsx_response(filename="审计日志.xlsx", content=content)
        context = list_context(request, queryset)
    except Exception as exc:  # malformed date filters
        from django.core.exceptions import ValidationError

        if not isinstance(exc, ValidationError | ValueError):
            raise
        messages.error(request, "日期格式不正确，应为 YYYY-MM-DD。")
        filters["date_from"] = filters["date_to"] = ""
        context = list_context(request, selectors.audit_list(actor=actor, filters=filters))
    context.update({"filters": filters, "events": AuditEventType.choices, "outcomes": AuditOutcome.choices})
    return render(request, "accounts/audit_list.html", context)


@login_required
def token_list_view(request: HttpRequest) -> HttpResponse:
    actor = _require_role(request, *ADMIN_ROLES)
    form = TokenIssueForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.token_issue(
                actor=actor, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except AppError as exc:
            form_error_from(form, exc)
        else:
            issued = {"token": token, "raw": raw}
            form = TokenIssueForm()
    return render(
        request,
        "accounts/token_list.html",
        {"form": form, "tokens": selectors.token_list(actor=actor), "issued": issued},
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        services.token_revoke(actor=actor, token_id=token_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, "令牌已吊销。")
    return redirect("accounts:token_list")


# --- Organization roles and members (机构角色, §5.5.3) --------------------------------------------------------------

ORG_ROLE_READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.ORG_ADMIN)


def _org_account_actor(request: HttpRequest, *, write: bool = False) -> Any:
    """System admins and org admins (and, for reading, bureaus) by role; org teachers/staff with 账号与角色管理."""
    actor = request.actor  # type: ignore[attr-defined]
    roles = (Role.SYSTEM_ADMIN, Role.ORG_ADMIN) if write else ORG_ROLE_READERS
    if actor.has_role(*roles):
        return actor
    if actor.has_role(*services.ORG_ROLE_HOLDERS):
        try:
            services.require_org_permission(actor, OrgPermission.ACCOUNT_MANAGE)
        except AppError as exc:
            raise DjangoPermissionDenied(exc.message) from None
        return actor
    raise DjangoPermissionDenied("当前角色不能维护机构角色" if write else "当前角色不能查看机构角色")


def _can_write_org_roles(actor: Any) -> bool:
    return actor.has_role(Role.SYSTEM_ADMIN, Role.ORG_ADMIN) or (
        actor.has_role(*services.ORG_ROLE_HOLDERS) and actor.has_org_permission(OrgPermission.ACCOUNT_MANAGE)
    )


def _permission_labels(codes: Any) -> list[str]:
    labels = dict(OrgPermission.choices)
    return [str(labels.get(code, code)) for code in codes or []]


@login_required
def org_role_list_view(request: HttpRequest) -> HttpResponse:
    actor = _org_account_actor(request)
    permissions = OrgPermission.choices
    filters = {
        "q": request.GET.get("q", "")[:64],
        "permission": request.GET.get("permission", ""),
        "organization": request.GET.get("organization", ""),
    }
    if filters["permission"] not in OrgPermission.values:
        filters["permission"] = ""
    organizations = tenancy_selectors.organization_list(actor=actor) if actor.has_role(*ORG_ROLE_READERS[:2]) else None
    if organizations is None or filters["organization"] not in {
        str(pk) for pk in organizations.values_list("pk", flat=True)
    }:
        filters["organization"] = ""
    queryset = selectors.org_role_list(actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        rows = (
            (r.organization.name, r.name, r.description, "、".join(_permission_labels(r.permissions))) for r in queryset
        )
        services.record_write(
            actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": "org_roles", **filters}
        )
        return xlsx_response(
            filename="机构角色.xlsx",
            content=build_xlsx(headers=["机构", "角色名称", "说明", "权限"], rows=rows, sheet_title="机构角色"),
        )
    context = list_context(request, queryset)
    context["rows"] = [
        {"role": r, "permission_labels": _permission_labels(r.permissions), "members": r.memberships.count()}
        for r in context["page"].items
    ]
    context.update(
        {
            "filters": filters,
            "permissions": permissions,
            "organizations": organizations,
            "can_write": _can_write_org_roles(actor),
        }
    )
    return render(request, "accounts/org_role_list.html", context)


@login_required
def org_role_detail_view(request: HttpRequest, org_role_id: int) -> HttpResponse:
    actor = _org_account_actor(request)
    org_role = call_page(selectors.org_role_get, actor=actor, org_role_id=org_role_id)
    members = selectors.org_member_list(actor=actor, filters={"org_role": org_role.pk})
    return render(
        request,
        "accounts/org_role_detail.html",
        {
            "org_role": org_role,
            "permission_labels": _permission_labels(org_role.permissions),
            "members": members,
            "can_write": _can_write_org_roles(actor),
        },
    )


def _org_role_form_page(request: HttpRequest, actor: Any, org_role: Any) -> HttpResponse:
    organizations = (
        tenancy_selectors.organization_list(actor=actor) if actor.is_system_admin and org_role is None else None
    )
    initial = (
        {"name": org_role.name, "description": org_role.description, "permissions": org_role.permissions}
        if org_role is not None
        else None
    )
    form = OrgRoleForm(request.POST or None, initial=initial, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if org_role is None:
                saved = services.org_role_create(actor=actor, data=data)
            else:
                data.pop("organization", None)
                saved = services.org_role_update(actor=actor, org_role=org_role, data=data)
        except PermissionDenied as exc:
            services.record_denial(actor=actor, reason=exc.message, path=request.path)
            form.add_error(None, exc.message)
        except NotFound:
            raise Http404 from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"机构角色“{saved.name}”已保存。")
            return redirect("accounts:org_role_detail", saved.pk)
    return render(request, "accounts/org_role_form.html", {"form": form, "org_role": org_role})


@login_required
def org_role_create_view(request: HttpRequest) -> HttpResponse:
    actor = _org_account_actor(request, write=True)
    return _org_role_form_page(request, actor, None)


@login_required
def org_role_edit_view(request: HttpRequest, org_role_id: int) -> HttpResponse:
    actor = _org_account_actor(request, write=True)
    org_role = call_page(selectors.org_role_get, actor=actor, org_role_id=org_role_id)
    return _org_role_form_page(request, actor, org_role)


@login_required
def org_role_delete_view(request: HttpRequest, org_role_id: int) -> HttpResponse:
    """Asks first, naming the members who lose the role; then deletes it and recomputes their permissions."""
    actor = _org_account_actor(request, write=True)
    org_role = call_page(selectors.org_role_get, actor=actor, org_role_id=org_role_id)
    if request.method == "POST":
        call_page(services.org_role_delete, actor=actor, org_role=org_role)
        messages.success(request, f"机构角色“{org_role.name}”已删除，已从其成员收回。")
        return redirect("accounts:org_role_list")
    members = selectors.org_member_list(actor=actor, filters={"org_role": org_role.pk})
    return render(request, "accounts/org_role_confirm_delete.html", {"org_role": org_role, "members": members})


@login_required
def org_member_list_view(request: HttpRequest) -> HttpResponse:
    actor = _org_account_actor(request)
    filters = {"q": request.GET.get("q", "")[:64], "role": request.GET.get("role", ""), "org_role": ""}
    if filters["role"] not in services.ORG_ROLE_HOLDERS:
        filters["role"] = ""
    roles = selectors.org_role_list(actor=actor)
    wanted_role = request.GET.get("org_role", "")
    if wanted_role in {str(pk) for pk in roles.values_list("pk", flat=True)}:
        filters["org_role"] = wanted_role
    queryset = selectors.org_member_list(actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        rows = (
            (
                m.scope_label,
                m.user.username,
                m.user.display_name,
                m.user.mobile_masked,
                m.get_role_display(),
                "、".join(r.name for r in m.org_roles.all()),
            )
            for m in queryset
        )
        services.record_write(
            actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": "org_members", **filters}
        )
        return xlsx_response(
            filename="机构人员.xlsx",
            content=build_xlsx(
                headers=["机构", "用户名", "姓名", "手机号", "账号角色", "机构角色"], rows=rows, sheet_title="机构人员"
            ),
        )
    context = list_context(request, queryset)
    context.update(
        {
            "filters": filters,
            "holder_roles": [(r.value, r.label) for r in services.ORG_ROLE_HOLDERS],
            "org_roles": roles,
            "can_write": _can_write_org_roles(actor),
            "can_create": services.can_manage_accounts(actor),
        }
    )
    return render(request, "accounts/org_member_list.html", context)


@login_required
def org_member_roles_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    """Check the org roles one teacher/staff member holds; saving recomputes its permissions."""
    actor = _org_account_actor(request, write=True)
    membership = call_page(selectors.org_member_get, actor=actor, membership_id=membership_id)
    roles = selectors.org_role_list(actor=actor, filters={"organization": membership.organization_id})
    form = OrgMemberRolesForm(request.POST or None, roles=roles, initial={"roles": list(membership.org_roles.all())})
    if request.method == "POST" and form.is_valid():
        try:
            services.org_roles_assign(actor=actor, membership=membership, roles=list(form.cleaned_data["roles"]))
        except NotFound:
            raise Http404 from None
        except PermissionDenied as exc:
            services.record_denial(actor=actor, reason=exc.message, path=request.path)
            form.add_error(None, exc.message)
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"已更新 {membership.user} 的机构角色。")
            return redirect("accounts:org_member_list")
    return render(
        request,
        "accounts/org_member_roles.html",
        {
            "form": form,
            "membership": membership,
            "role_rows": [{"role": r, "permission_labels": _permission_labels(r.permissions)} for r in roles],
            "permission_labels": _permission_labels(
                [p for p in membership.permissions or [] if p in OrgPermission.values]
            ),
        },
    )
