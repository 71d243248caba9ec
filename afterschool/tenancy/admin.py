"""The Django admin for system admins. Writes go through the tenancy services (validated and audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse

from afterschool.core.errors import AppError
from afterschool.core.views import form_error_from

from . import services
from .models import Organization, Partnership, Region, School


class _DryRun(Exception):
    pass


class ServiceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Saves through the domain service. The form runs the service once in a rolled-back transaction
    while validating, so a refusal appears on the form instead of failing at save time."""

    create_service: Any = None
    update_service: Any = None
    delete_service: Any = None
    entity: str = ""

    def _call(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        actor = request.actor  # type: ignore[attr-defined]
        if obj is not None and obj.pk is not None:
            original = type(obj).objects.get(pk=obj.pk)
            return type(self).update_service(actor=actor, **{self.entity: original}, data=data)
        return type(self).create_service(actor=actor, data=data)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(base):  # type: ignore[valid-type,misc]
            def clean(self) -> Any:
                data = super().clean()
                if not self.errors:
                    try:
                        with transaction.atomic():
                            model_admin._call(request, obj, dict(data))
                            raise _DryRun
                    except _DryRun:
                        pass
                    except AppError as exc:
                        form_error_from(self, exc)
                return data

        return ServiceForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = self._call(request, obj if change else None, dict(form.cleaned_data))
        obj.pk = saved.pk

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        # Ask the service first (rolled back), so a refusal is shown instead of the admin's "deleted" message.
        obj = self.get_object(request, object_id) if request.method == "POST" else None
        if obj is not None:
            try:
                with transaction.atomic():
                    type(self).delete_service(actor=request.actor, **{self.entity: obj})  # type: ignore[attr-defined]
                    raise _DryRun
            except _DryRun:
                pass
            except AppError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                opts = self.model._meta
                return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        type(self).delete_service(actor=request.actor, **{self.entity: obj})  # type: ignore[attr-defined]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Bulk deletion would bypass the service; delete one at a time.
        return obj is not None and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Region)
class RegionAdmin(ServiceAdmin):
    create_service = services.region_create
    update_service = services.region_update
    delete_service = services.region_delete
    entity = "region"
    list_display = ["code", "name", "level", "parent"]
    search_fields = ["code", "name"]
    list_filter = ["level"]
    fields = ["code", "name", "parent"]


@admin.register(School)
class SchoolAdmin(ServiceAdmin):
    create_service = services.school_create
    update_service = services.school_update
    delete_service = services.school_delete
    entity = "school"
    list_display = ["code", "name", "school_type", "nature", "region", "is_active"]
    search_fields = ["code", "name"]
    list_filter = ["school_type", "nature", "is_active"]
    autocomplete_fields = ["region"]


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    create_service = services.organization_create
    update_service = services.organization_update
    delete_service = services.organization_delete
    entity = "organization"
    list_display = ["credit_code", "name", "kind", "status", "region"]
    search_fields = ["credit_code", "name"]
    list_filter = ["status", "kind"]
    autocomplete_fields = ["region"]
    readonly_fields = ["status"]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["school", "organization", "starts_on", "ends_on", "status"]
    list_filter = ["status"]
    autocomplete_fields = ["school", "organization"]
