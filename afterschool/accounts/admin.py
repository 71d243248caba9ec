"""The Django admin for system admins. Writes go through the services, so they are validated and audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from afterschool.tenancy.actor import Actor

from . import services
from .choices import AuditEventType
from .models import ApiToken, AuditEvent, RoleMembership, User


def admin_actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RoleMembership
    extra = 0
    fields = ["role", "region", "school", "organization", "permissions", "is_active"]
    autocomplete_fields = ["region", "school", "organization"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["username", "display_name", "is_active", "must_change_password", "last_login"]
    search_fields = ["username", "display_name"]
    list_filter = ["is_active", "must_change_password", "memberships__role"]
    fields = ["username", "display_name", "is_active", "is_staff", "is_superuser", "must_change_password"]
    inlines = [MembershipInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New accounts are made on the 账号 page (initial password, forced change, audit).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.record_write(
            actor=admin_actor(request),
            event=AuditEventType.USER_UPDATE,
            obj=obj,
            detail={"fields": sorted(form.changed_data), "via": "admin"},
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for membership in formset.new_objects + [m for m, _ in formset.changed_objects]:
            services.record_write(
                actor=admin_actor(request),
                event=AuditEventType.MEMBERSHIP_GRANT,
                obj=membership,
                detail={"via": "admin"},
            )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["seq", "occurred_at", "username", "role", "client_ip", "event", "object_repr", "outcome"]
    list_filter = ["event", "outcome"]
    search_fields = ["username", "object_repr", "client_ip"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "user", "membership", "prefix", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["user", "membership", "name", "prefix", "key_digest", "expires_at", "revoked_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="吊销所选令牌")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        from django.utils import timezone

        for token in queryset.filter(revoked_at__isnull=True):
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
            services.record_write(actor=admin_actor(request), event=AuditEventType.TOKEN_REVOKE, obj=token)
