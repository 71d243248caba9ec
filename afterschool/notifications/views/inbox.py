"""Pages: the person's own notifications (the notification centre), opening one, and the outbox of the recording
channel backend (模拟短信/微信, system admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import call_page, list_context
from afterschool.tenancy.actor import Actor

from ..forms.inbox import NotificationFilterForm, OutboxFilterForm
from ..models import OutboxMessage
from ..selectors import inbox as selectors
from ..selectors import outbox as outbox_selectors
from ..services import inbox as services


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = NotificationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    context: dict[str, Any] = {"form": form, "filters": filters, "unread": selectors.unread_count(actor=actor)}
    context.update(list_context(request, selectors.notification_list(actor=actor, filters=filters)))
    return render(request, "notifications/inbox/list.html", context)


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    """全部标为已读, or the ids posted (name "id")."""
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit() and len(v) < 19] or None
    marked = services.notifications_mark_read(actor=_actor(request), ids=ids)
    messages.success(request, f"已将 {marked} 条通知标为已读。" if marked else "没有未读通知。")
    return redirect("notifications:list")


def _safe_link(request: HttpRequest, link: str) -> str | None:
    """Only a link within this site: a path ("/attendance/…") or this host; anything else is not followed."""
    if not link or not url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return link


@login_required
@require_http_methods(["GET", "POST"])
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Tapping a notification: it becomes read and the page goes to its link (same-site only), else back to the
    list at the notification."""
    notification = call_page(services.notification_open, actor=_actor(request), notification_id=notification_id)
    target = _safe_link(request, notification.link)
    return redirect(target or f"{reverse('notifications:list')}#n{notification.pk}")


OUTBOX_HEADERS = ["时间", "渠道", "接收人", "地址（脱敏）", "模板", "内容", "投递状态"]


def _outbox_row(m: OutboxMessage) -> list[Any]:
    return [
        timezone.localtime(m.created_at).strftime("%Y-%m-%d %H:%M:%S"), m.get_channel_display(), str(m.recipient),
        m.address, m.template, m.body, m.delivery.get_status_display() if m.delivery else "",
    ]  # fmt: skip


@login_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    """模拟短信/微信: what the recording backend "sent" (development and the demo)."""
    actor = _actor(request)
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = call_page(outbox_selectors.outbox_list, actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        rows = [_outbox_row(m) for m in queryset[:50000]]
        record_write(
            actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
            detail={"what": "notification_outbox", "rows": len(rows),
                    "filters": {k: str(v) for k, v in filters.items() if v}},
        )  # fmt: skip
        return xlsx_response(filename="模拟发送记录.xlsx", content=build_xlsx(headers=OUTBOX_HEADERS, rows=rows))
    context: dict[str, Any] = {"form": form}
    context.update(list_context(request, queryset))
    return render(request, "notifications/inbox/outbox.html", context)


urlpatterns = [
    path("", notification_list, name="list"),
    path("read/", notification_mark_read, name="mark_read"),
    path("<int:notification_id>/open/", notification_open, name="open"),
    path("outbox/", outbox_list, name="outbox"),
]
