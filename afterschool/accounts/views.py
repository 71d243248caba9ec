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

from afterschool.core.errors import AppError, NotFound
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context
from afterschool.tenancy import selectors as tenancy_selectors

from . import selectors, services
from .choices import AuditEventType, AuditOutcome, Role
from .forms import LoginForm, PasswordChangeForm, TokenIssueForm, UserCreateForm
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
    actor = _require_role(request, *ADMIN_ROLES)
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
    context.update({"filters": filters, "roles": Role.choices})
    return render(request, "accounts/user_list.html", context)


@login_required
def user_create_view(request: HttpRequest) -> HttpResponse:
    actor = _require_role(request, *ADMIN_ROLES)
    grantable = services.GRANTABLE_ROLES.get(actor.role, set())
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
            return render(request, "accounts/user_created.html", {"new_user": user, "initial_password": initial})
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
