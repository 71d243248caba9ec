"""Authentication signals (from Django and django-axes) go to the audit chain."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .audit import audit_record
from .choices import AuditEventType, AuditOutcome


def _ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    from .middleware import client_ip

    return client_ip(request)


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    from .middleware import actor_for_session

    if request is not None:
        request.session.pop("active_membership_id", None)
    actor = actor_for_session(request) if request is not None else None
    audit_record(actor=actor, event=AuditEventType.LOGIN, obj=user, username=user.username, client_ip=_ip(request))


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    audit_record(
        actor=None,
        event=AuditEventType.LOGOUT,
        obj=user,
        username=user.username,
        user_id=user.pk,
        client_ip=_ip(request),
    )


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    identifier = str(credentials.get("username") or "")[:150]
    if request is not None:
        from .services import address_failure_record

        address_failure_record(ip_address=_ip(request))
    audit_record(
        actor=None,
        event=AuditEventType.LOGIN_FAILED,
        outcome=AuditOutcome.FAILURE,
        username=identifier,
        client_ip=_ip(request),
    )


@receiver(user_locked_out)
def _on_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    audit_record(
        actor=None,
        event=AuditEventType.LOCKOUT,
        outcome=AuditOutcome.DENIED,
        username=(username or "")[:150],
        client_ip=ip_address or _ip(request),
    )
