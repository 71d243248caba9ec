"""Pages of the waitlist (候补, phone-first): a parent's entries with their position, the join button shown on a
full section (template include `payments/waitlist/_join_button.html`, context `section` and `student`), leaving
the queue (confirmation page), and the school admin's queue of a section with cancel (confirmation page with a
reason)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context, page_error
from afterschool.tenancy.actor import Actor

from ..choices import WaitlistStatus
from ..forms.waitlist import CancelForm, JoinForm
from ..models import WaitlistEntry
from ..selectors import waitlist as selectors
from ..services import waitlist as services

HEADERS = ["排位", "学生", "学籍号", "课班", "状态", "含材料", "加入时间", "递补截止", "订单号"]


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _filters(request: HttpRequest) -> dict[str, Any]:
    status = request.GET.get("status", "")
    return {"q": request.GET.get("q", "")[:64], "status": status if status in WaitlistStatus.values else ""}


def _rows(entries: Any) -> list[tuple[Any, ...]]:
    return [
        (selectors.position_of(e) or "—", e.student.name, e.student.student_number, e.section.name,
         e.get_status_display(), "是" if e.materials_included else "否", f"{e.created_at:%Y-%m-%d %H:%M}",
         f"{e.offer_deadline:%Y-%m-%d %H:%M}" if e.offer_deadline else "", e.order.order_no if e.order else "")
        for e in entries
    ]  # fmt: skip


def _export(actor: Actor, entries: Any, *, obj: Any, filename: str) -> HttpResponse:
    rows = _rows(entries)
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=obj, detail={"what": "waitlist", "rows": len(rows)})
    return xlsx_response(filename=filename, content=build_xlsx(headers=HEADERS, rows=rows))


def _list_page(request: HttpRequest, queryset: Any, template: str, partial: str, **extra: Any) -> HttpResponse:
    filters = _filters(request)
    context: dict[str, Any] = {**filters, "status_choices": WaitlistStatus.choices, **extra}
    context.update(list_context(request, queryset))
    return render(request, partial if getattr(request, "htmx", False) else template, context)


@login_required
def waitlist(request: HttpRequest) -> HttpResponse:
    """我的候补: the entries of the actor's children (or, for school side, all it may see), newest first."""
    actor = _actor(request)
    entries = selectors.waitlist_list(actor=actor, filters=_filters(request))
    if request.GET.get("export") == "xlsx":
        return _export(actor, entries, obj=actor.user, filename="候补记录.xlsx")
    return _list_page(request, entries, "payments/waitlist/list.html", "payments/waitlist/_table.html")


@login_required
@require_POST
def waitlist_join(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = JoinForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid():
        messages.error(request, "候补请求无效，请重试")
        return redirect(back or "payments:waitlist")
    try:
        student = selectors.student_for_join(actor=actor, student_id=form.cleaned_data["student"])
        section = selectors.section_for_join(actor=actor, student=student, section_id=form.cleaned_data["section"])
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None
    try:
        entry = services.waitlist_join(
            actor=actor, section=section, student=student, with_materials=form.cleaned_data["with_materials"]
        )
    except NotFound:
        raise Http404() from None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect(back or "payments:waitlist")
    position = selectors.position_of(entry)
    messages.success(request, f"{student.name}已加入“{section.name}”的候补，当前排第 {position} 位。")
    return redirect("payments:waitlist")


def _entry(actor: Actor, entry_id: int) -> WaitlistEntry:
    try:
        return selectors.waitlist_get(actor=actor, entry_id=entry_id)
    except NotFound:
        raise Http404() from None


@login_required
def waitlist_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Confirmation page; POST takes the child off the queue (a held offer is given up)."""
    actor = _actor(request)
    entry = _entry(actor, entry_id)
    if not actor.is_system_admin and not actor.has_role(Role.PARENT, Role.SCHOOL_ADMIN):
        raise DjangoPermissionDenied("只有家长可以退出候补")
    error = ""
    if request.method == "POST":
        try:
            services.waitlist_leave(actor=actor, entry=entry)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except AppError as exc:
            error = exc.message
        else:
            messages.success(request, f"{entry.student.name}已退出“{entry.section.name}”的候补。")
            return redirect("payments:waitlist")
    status = 409 if error else 200
    return render(request, "payments/waitlist/leave_confirm.html", {"entry": entry, "error": error}, status=status)


@login_required
def section_waitlist(request: HttpRequest, section_id: int) -> HttpResponse:
    """The school's queue of one section, in order, with status; cancel from each open entry."""
    actor = _actor(request)
    try:
        section = selectors.section_for_admin(actor=actor, section_id=section_id)
    except NotFound:
        raise Http404() from None
    entries = selectors.section_waitlist(section=section, filters=_filters(request))
    if request.GET.get("export") == "xlsx":
        return _export(actor, entries, obj=section, filename=f"{section.name}候补名单.xlsx")
    can_write = actor.is_system_admin or actor.has_role(Role.SCHOOL_ADMIN)
    return _list_page(
        request, entries, "payments/waitlist/section.html", "payments/waitlist/_section_table.html",
        section=section, can_write=can_write, seats_taken=services.active_count(section),
    )  # fmt: skip


@login_required
def waitlist_cancel(request: HttpRequest, entry_id: int) -> HttpResponse:
    """The school cancels an entry: a confirmation page with the reason."""
    actor = _actor(request)
    if not actor.is_system_admin and not actor.has_role(Role.SCHOOL_ADMIN):
        raise DjangoPermissionDenied("只有学校管理员可以取消候补")
    entry = _entry(actor, entry_id)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.waitlist_cancel(actor=actor, entry=entry, reason=form.cleaned_data["reason"])
        except NotFound:
            raise Http404() from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"已取消{entry.student.name}的候补。")
            return redirect("payments:section_waitlist", section_id=entry.section_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "payments/waitlist/cancel_confirm.html", {"entry": entry, "form": form}, status=status)


urlpatterns: list[URLPattern] = [
    path("waitlist/", waitlist, name="waitlist"),
    path("waitlist/join/", waitlist_join, name="waitlist_join"),
    path("waitlist/<int:entry_id>/leave/", waitlist_leave, name="waitlist_leave"),
    path("waitlist/<int:entry_id>/cancel/", waitlist_cancel, name="waitlist_cancel"),
    path("sections/<int:section_id>/waitlist/", section_waitlist, name="section_waitlist"),
]
