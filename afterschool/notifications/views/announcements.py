"""Pages: school announcements (学校公告). School admins list, compose (with a confirmation step showing how many
people will receive it) and read their school's; the bureau reads its region's; recipients read the ones they
received."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import call_page, form_error_from, list_context, page_error
from afterschool.tenancy.actor import Actor

from ..forms.announcements import AnnouncementFilterForm, AnnouncementForm
from ..models import Announcement
from ..selectors import announcements as selectors
from ..services import announcements as services


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


EXPORT_HEADERS = ["标题", "学校", "通知对象", "接收人数", "发布人", "发布时间", "内容"]


def _author(announcement: Announcement) -> str:
    return announcement.author.display_name or announcement.author.get_username()


def _export_row(a: Announcement) -> list[Any]:
    return [
        a.title, a.school.name, selectors.audience_label(a), a.recipient_count, _author(a),
        timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M"), a.body,
    ]  # fmt: skip


@login_required
def announcement_list(request: HttpRequest) -> HttpResponse:
    """School admins: their school's; bureau and system admins: their scope's (read only); anybody else: the
    announcements it received."""
    actor = _actor(request)
    form = AnnouncementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.announcement_list(actor=actor, filters=filters)
    manager = selectors.reads_school_announcements(actor)
    if request.GET.get("export") == "xlsx" and manager:
        rows = [_export_row(a) for a in queryset[:50000]]
        used = {k: str(v) for k, v in filters.items() if v}
        record_write(
            actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
            detail={"what": "announcements", "rows": len(rows), "filters": used},
        )  # fmt: skip
        return xlsx_response(filename="学校公告.xlsx", content=build_xlsx(headers=EXPORT_HEADERS, rows=rows))
    context: dict[str, Any] = {
        "form": form, "may_send": selectors.may_send(actor), "manager": manager,
        "schools": list(selectors.list_schools(actor=actor)) if manager and actor.school_id is None else [],
    }  # fmt: skip
    context.update(list_context(request, queryset))
    context["rows"] = [(a, selectors.audience_label(a), _author(a)) for a in context["page"].items]
    return render(request, "notifications/announcements/list.html", context)


def _render_form(request: HttpRequest, form: AnnouncementForm) -> HttpResponse:
    return render(request, "notifications/announcements/form.html", {"form": form, "school": form.school})


@login_required
def announcement_create(request: HttpRequest) -> HttpResponse:
    """Compose (GET), confirm with the number of recipients (POST), send (POST with confirm)."""
    actor = _actor(request)
    if not selectors.may_send(actor):
        raise DjangoPermissionDenied("只有学校管理员可以发布学校公告")
    school_id = request.GET.get("school")
    if actor.is_system_admin and not school_id:
        schools = selectors.sendable_schools(actor=actor)
        return render(request, "notifications/announcements/choose_school.html", {"schools": schools})
    school = call_page(selectors.announcement_school, actor=actor, school_id=school_id)
    form = AnnouncementForm(request.POST if request.method == "POST" else None, school=school)
    if request.method != "POST" or not form.is_valid() or "edit" in request.POST:
        return _render_form(request, form)
    data = form.service_data()
    try:
        if "confirm" in request.POST:
            announcement = services.announcement_send(actor=actor, data=data)
            messages.success(request, f"公告已发布，{announcement.recipient_count} 人将收到通知。")
            return redirect("notifications:announcement_detail", announcement_id=announcement.pk)
        preview = services.announcement_preview(actor=actor, data=data)
    except AppError as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise page_error(exc) from None
        form_error_from(form, exc)
        return _render_form(request, form)
    if preview.recipient_count == 0:
        form.add_error("audience", services.NO_RECIPIENTS)
        return _render_form(request, form)
    context = {
        "form": form,
        "school": school,
        "count": preview.recipient_count,
        "audience_label": preview.audience_label,
    }
    return render(request, "notifications/announcements/confirm.html", context)


@login_required
def announcement_detail(request: HttpRequest, announcement_id: int) -> HttpResponse:
    actor = _actor(request)
    announcement = call_page(selectors.announcement_get, actor=actor, announcement_id=announcement_id)
    context = {
        "announcement": announcement, "audience_label": selectors.audience_label(announcement),
        "author": _author(announcement), "manager": selectors.reads_school_announcements(actor),
    }  # fmt: skip
    return render(request, "notifications/announcements/detail.html", context)


urlpatterns: list[URLPattern] = [
    path("announcements/", announcement_list, name="announcements"),
    path("announcements/new/", announcement_create, name="announcement_create"),
    path("announcements/<int:announcement_id>/", announcement_detail, name="announcement_detail"),
]
