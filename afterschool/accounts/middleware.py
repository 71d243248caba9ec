"""Resolve the Actor once per request, and hold first-login accounts at the password change page."""

from __future__ import annotations

from collections.abc import Callable

from axes.helpers import get_client_ip_address
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from afterschool.tenancy.actor import ANONYMOUS, Actor

from . import selectors
from .services import ACTIVE_MEMBERSHIP_SESSION_KEY


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, except that a request a page makes by itself (the live unread count, which
    reconnects every few minutes — see notifications/views/stream.py, which marks it `passive_session`) is not the
    person's activity: it neither saves the session nor extends it, so an idle page still times out after
    SESSION_COOKIE_AGE (30 minutes)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "passive_session", False):
            return response
        return super().process_response(request, response)


def client_ip(request: HttpRequest) -> str:
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR", "") or ""


def actor_for_session(request: HttpRequest) -> Actor:
    """The logged-in user in the role chosen for this session (its first role if none was chosen)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    memberships = selectors.memberships_of_user(user)
    if not memberships:
        return Actor(user=user, membership=None, client_ip=client_ip(request))
    wanted = request.session.get(ACTIVE_MEMBERSHIP_SESSION_KEY)
    membership = next((m for m in memberships if m.pk == wanted), memberships[0])
    if wanted != membership.pk:
        request.session[ACTIVE_MEMBERSHIP_SESSION_KEY] = membership.pk
    return Actor(
        user=user,
        membership=membership,
        client_ip=client_ip(request),
        via="session",
        permissions=frozenset(membership.permissions or []),
    )


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = SimpleLazyObject(lambda: actor_for_session(request))  # type: ignore[attr-defined]
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """An account created by an admin or an import can do nothing before it sets its own password."""

    ALLOWED_PREFIXES = (
        "/accounts/password/",
        "/accounts/logout/",
        "/static/",
        "/healthz",
        "/api/v1/docs",
        "/api/v1/openapi.json",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "password_change_required", "message": "首次登录须先修改密码", "detail": None},
                    status=403,
                )
            return redirect(reverse("accounts:password_change"))
        return self.get_response(request)


class SystemAdminAccessAuditMiddleware:
    """A system admin sees everything, so every request it makes is audited (DESIGN: 'every access'). Not audited:
    static files, and requests a page makes by itself that show nothing but the admin's own state (marked
    `passive_session`: the live unread count reconnecting every few minutes would otherwise write a row each time
    for as long as a tab stays open)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        actor = getattr(request, "actor", None)
        if (
            actor is not None
            and getattr(actor, "user", None) is not None
            and actor.role == "system_admin"
            and not request.path.startswith(("/static/", "/media/"))
            and not getattr(request, "passive_session", False)
        ):
            from .audit import audit_record
            from .choices import AuditOutcome

            audit_record(
                actor=actor,
                event="access",
                outcome=AuditOutcome.SUCCESS if response.status_code < 400 else AuditOutcome.FAILURE,
                detail={"method": request.method, "path": request.path[:200], "status": response.status_code},
            )
        return response
