"""The same list / detail / create / edit / delete / export pages for every entity (as NetBox does).

A domain declares a `Crud` with its selectors, services, form and columns; the views here stay thin:
they parse the request, call the selector or service with `actor=`, and render. Scoping happens in the
selectors; refusals come back from the services as AppError and are shown on the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context


def _resolve(obj: Any, accessor: str | Callable[[Any], Any]) -> Any:
    if callable(accessor):
        return accessor(obj)
    value: Any = obj
    for part in accessor.split("."):
        display = getattr(value, f"get_{part}_display", None)
        value = display() if display is not None else getattr(value, part, "")
        if value is None:
            return ""
    return value


@dataclass
class Filter:
    name: str
    label: str
    choices: list[tuple[str, str]] | Callable[[Any], list[tuple[str, str]]]


@dataclass
class Crud:
    name: str  # url name stem: "school" -> school_list, school_detail …
    verbose_name: str
    list_selector: Callable[..., Any]
    get_selector: Callable[..., Any]
    id_kwarg: str  # keyword the get selector takes: "school_id"
    form_class: type[forms.ModelForm]  # type: ignore[type-arg]
    columns: list[tuple[str, str | Callable[[Any], Any]]]
    detail_fields: list[tuple[str, str | Callable[[Any], Any]]]
    create_service: Callable[..., Any] | None = None
    update_service: Callable[..., Any] | None = None
    delete_service: Callable[..., Any] | None = None
    filters: list[Filter] = field(default_factory=list)
    read_roles: tuple[str, ...] = ()
    write_roles: tuple[str, ...] = ()
    # Roles that may edit the one object of their own scope (a school admin its school); the service decides
    # which fields.
    self_edit_roles: tuple[str, ...] = ()
    search_placeholder: str = "搜索"
    namespace: str = ""

    # --- helpers -------------------------------------------------------------------------------
    def url(self, action: str, *args: Any) -> str:
        return reverse(f"{self.namespace}:{self.name}_{action}", args=args)

    def _actor(self, request: HttpRequest, *, write: bool = False, edit: bool = False) -> Any:
        actor = request.actor  # type: ignore[attr-defined]
        roles = self.write_roles if write else self.write_roles + self.self_edit_roles if edit else self.read_roles
        if not actor.is_system_admin and not actor.has_role(*roles):
            raise DjangoPermissionDenied(f"当前角色不能{'维护' if write else '查看'}{self.verbose_name}")
        return actor

    def _get(self, actor: Any, pk: Any) -> Any:
        try:
            return self.get_selector(actor=actor, **{self.id_kwarg: pk})
        except NotFound:
            raise Http404 from None

    def _base_context(self, request: HttpRequest) -> dict[str, Any]:
        actor = request.actor  # type: ignore[attr-defined]
        can_write = actor.is_system_admin or actor.has_role(*self.write_roles)
        can_edit = self.update_service is not None and (can_write or actor.has_role(*self.self_edit_roles))
        return {
            "crud": self,
            "can_create": can_write and self.create_service is not None,
            "can_write": can_write,
            "can_edit": can_edit,
            "can_delete": can_write and self.delete_service is not None,
        }

    # --- views ---------------------------------------------------------------------------------
    def list_view(self, request: HttpRequest) -> HttpResponse:
        actor = self._actor(request)
        values = {"q": request.GET.get("q", "")}
        filter_rows = []
        for flt in self.filters:
            choices = flt.choices(actor) if callable(flt.choices) else flt.choices
            valid = {str(c[0]) for c in choices}
            value = request.GET.get(flt.name, "")
            values[flt.name] = value if value in valid else ""
            filter_rows.append({"name": flt.name, "label": flt.label, "choices": choices, "value": values[flt.name]})
        queryset = self.list_selector(actor=actor, filters=values)
        if request.GET.get("export") == "xlsx":
            from afterschool.accounts.choices import AuditEventType
            from afterschool.accounts.services import record_write

            rows = ([_resolve(obj, acc) for _, acc in self.columns] for obj in queryset.iterator())
            content = build_xlsx(headers=[label for label, _ in self.columns], rows=rows, sheet_title=self.verbose_name)
            record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": self.name, **values})
            return xlsx_response(filename=f"{self.verbose_name}.xlsx", content=content)
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
        context.update({"headers": [label for label, _ in self.columns], "filters": filter_rows, "q": values["q"]})
        template = "core/crud/_table.html" if request.htmx else "core/crud/list.html"  # type: ignore[attr-defined]
        return render(request, template, context)

    def detail_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = self._actor(request)
        obj = self._get(actor, pk)
        context = self._base_context(request)
        context.update({"obj": obj, "fields": [(label, _resolve(obj, acc)) for label, acc in self.detail_fields]})
        return render(request, "core/crud/detail.html", context)

    def _form_view(self, request: HttpRequest, obj: Any | None) -> HttpResponse:
        actor = request.actor  # type: ignore[attr-defined]
        form = self.form_class(request.POST or None, instance=obj, actor=actor)  # type: ignore[call-arg]
        if request.method == "POST" and form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.changed_data or form.cleaned_data}
            try:
                if obj is None:
                    assert self.create_service is not None
                    saved = self.create_service(actor=actor, data=dict(form.cleaned_data))
                else:
                    assert self.update_service is not None
                    saved = self.update_service(actor=actor, **{self.name: obj}, data=data)
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from None
            except NotFound:
                raise Http404 from None
            except AppError as exc:
                form_error_from(form, exc)
            else:
                messages.success(request, f"{self.verbose_name}“{saved}”已保存。")
                return redirect(self.url("detail", saved.pk))
        context = self._base_context(request)
        context.update({"form": form, "obj": obj})
        return render(request, "core/crud/form.html", context)

    def create_view(self, request: HttpRequest) -> HttpResponse:
        self._actor(request, write=True)
        return self._form_view(request, None)

    def update_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = self._actor(request, edit=True)
        obj = self._get(actor, pk)
        return self._form_view(request, obj)

    def delete_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = self._actor(request, write=True)
        obj = self._get(actor, pk)
        error = None
        if request.method == "POST":
            try:
                assert self.delete_service is not None
                self.delete_service(actor=actor, **{self.name: obj})
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from None
            except NotFound:
                raise Http404 from None
            except AppError as exc:
                error = exc.message
            else:
                messages.success(request, f"{self.verbose_name}“{obj}”已删除。")
                return redirect(self.url("list"))
        context = self._base_context(request)
        context.update({"obj": obj, "error": error})
        return render(request, "core/crud/confirm_delete.html", context, status=409 if error else 200)

    def urls(self, prefix: str) -> list[URLPattern]:
        patterns = [
            path(f"{prefix}/", login_required(self.list_view), name=f"{self.name}_list"),
            path(f"{prefix}/<int:pk>/", login_required(self.detail_view), name=f"{self.name}_detail"),
        ]
        if self.create_service is not None:
            patterns.append(path(f"{prefix}/new/", login_required(self.create_view), name=f"{self.name}_create"))
        if self.update_service is not None:
            patterns.append(
                path(f"{prefix}/<int:pk>/edit/", login_required(self.update_view), name=f"{self.name}_edit")
            )
        if self.delete_service is not None:
            patterns.append(
                path(f"{prefix}/<int:pk>/delete/", login_required(self.delete_view), name=f"{self.name}_delete")
            )
        return patterns
