"""Fixtures for the generated-input API run: bearer headers for the world's users, one DB connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections

from afterschool.accounts.models import ApiToken
from afterschool.accounts.services import token_issue


@pytest.fixture
def bearer(world: Any) -> Callable[[str], dict[str, str]]:
    """bearer("school_a") -> {"Authorization": "Bearer …"} for a token of that user's role (issued once per test).

    The returned headers stay usable for the whole test: the run can hit POST /tokens/{id}/revoke with the
    very token it is authenticating with, so every call first clears any revocation of the issued tokens.
    """
    issued: dict[str, tuple[ApiToken, str]] = {}

    def _bearer(key: str) -> dict[str, str]:
        if key not in issued:
            issued[key] = token_issue(actor=world.actor(key), name="fuzz", days=30)
        return {"Authorization": f"Bearer {issued[key][1]}"}

    def _unrevoke() -> None:
        pks = [token.pk for token, _ in issued.values()]
        ApiToken.objects.filter(pk__in=pks, revoked_at__isnull=False).update(revoked_at=None)

    _bearer.unrevoke = _unrevoke  # type: ignore[attr-defined]
    return _bearer


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """Requests go through the real WSGI app (not Django's test client), whose request_started/finished signals
    close "old" connections — on PostgreSQL that closes the connection holding the test's transaction.
    Do what django.test.Client does: keep the connection for the duration of the test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
