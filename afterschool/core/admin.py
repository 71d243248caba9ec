"""The Django admin is for system admins only, acting in that role, behind the platform's own login."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class PlatformAdminSite(admin.AdminSite):
    site_header = "课后服务平台 · 系统管理"
    site_title = "课后服务平台"
    index_title = "系统管理"

    def has_permission(self, request: HttpRequest) -> bool:
        actor = getattr(request, "actor", None)
        return bool(
            super().has_permission(request)
            and actor is not None
            and actor.membership is not None
            and actor.role == "system_admin"
        )

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # One login page for the whole platform (lockout, audit, forced password change all live there).
        # Someone already logged in without the system admin role is refused, not sent round in a loop.
        if request.user.is_authenticated:
            raise PermissionDenied("系统管理后台仅供系统管理员使用")
        next_url = request.GET.get("next", reverse("admin:index"))
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
