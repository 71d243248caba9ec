"""Pages: the person's own notifications (the notification centre)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from afterschool.core.views import list_context

from ..choices import NotificationKind
from ..selectors import inbox as selectors
from ..services import inbox as services


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    filters = {"q": request.GET.get("q", ""), "kind": request.GET.get("kind", ""), "unread": request.GET.get("unread")}
    if filters["kind"] not in NotificationKind.values:
        filters["kind"] = ""
    context = list_context(request, selectors.notification_list(actor=actor, filters=filters))
    context.update({"filters": filters, "kinds": NotificationKind.choices})
    return render(request, "notifications/inbox/list.html", context)


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(actor=request.actor)  # type: ignore[attr-defined]
    return redirect("notifications:list")


urlpatterns = [
    path("", notification_list, name="list"),
    path("read/", notification_mark_read, name="mark_read"),
]
