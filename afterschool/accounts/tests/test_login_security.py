"""GB/T 22239 level 3 identity rules: password policy, lockout, forced change, idle timeout, logout."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from afterschool.accounts import services
from afterschool.accounts.models import AuditEvent, User
from afterschool.core.errors import ValidationFailed
from afterschool.tenancy.actor import system_actor

pytestmark = pytest.mark.django_db


def _post_login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", "至少"),  # too short
        ("abcdefgh1", "至少 3 类"),  # two classes
        ("ABCDEFGH!", "至少 3 类"),
        ("Teacher01", "用户名"),  # equal to the username, ignoring case
    ],
)
def test_weak_password_is_refused_with_a_chinese_reason(world, password, message):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(
            actor=world.actor("school_a"), username="teacher01", role="teacher", school=world.school_a,
            password=password,
        )  # fmt: skip
    assert any(message in m for m in exc.value.detail["password"])
    assert not User.objects.filter(username="teacher01").exists()


def test_strong_password_is_accepted_and_hashed_with_pbkdf2_sm3(world, settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["afterschool.accounts.hashers.PBKDF2SM3PasswordHasher"]
    user, initial = services.user_create(
        actor=world.actor("school_a"), username="teacher01", role="teacher", school=world.school_a,
        password="Good#Pass1",
    )  # fmt: skip
    assert initial == "Good#Pass1"
    assert user.password.startswith("pbkdf2_sm3$")
    assert user.check_password("Good#Pass1")


def test_generated_initial_password_meets_the_policy(world):  # type: ignore[no-untyped-def]
    for _ in range(20):
        user, initial = services.user_create(
            actor=system_actor(), username=f"u{User.objects.count()}", role="parent", mobile="",
        )  # fmt: skip
        assert user.must_change_password
        assert user.check_password(initial)


def test_login_by_username_and_by_mobile(world):  # type: ignore[no-untyped-def]
    services.user_create(
        actor=system_actor(), username="mama", role="parent", mobile="13912345678", password="Kehou@2026",
        must_change_password=False,
    )  # fmt: skip
    client = Client()
    assert _post_login(client, "mama", "Kehou@2026").status_code == 302
    client = Client()
    response = _post_login(client, "13912345678", "Kehou@2026")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    user = User.objects.get(username="mama")
    assert "13912345678" not in user.mobile_encrypted  # stored encrypted
    assert user.mobile == "13912345678"
    assert user.mobile_masked == "139****5678"


def test_five_failures_lock_the_account_for_30_minutes_whatever_identifier(world):  # type: ignore[no-untyped-def]
    services.user_create(
        actor=system_actor(), username="mama", role="parent", mobile="13912345678", password="Kehou@2026",
        must_change_password=False,
    )  # fmt: skip
    client = Client()
    for i in range(4):
        identifier = "mama" if i % 2 else "13912345678"  # both name the same account
        response = _post_login(client, identifier, "wrong-Pass1", ip=f"10.0.0.{i + 1}")
        assert response.status_code == 200
        assert "不正确" in response.content.decode()
    response = _post_login(client, "mama", "wrong-Pass1", ip="10.0.0.9")
    assert response.status_code == 429
    text = response.content.decode()
    assert "已锁定" in text and "30 分钟" in text
    # The right password does not help while locked, from another address too.
    response = _post_login(Client(), "13912345678", "Kehou@2026", ip="10.9.9.9")
    assert response.status_code == 429
    assert AuditEvent.objects.filter(event="lockout").exists()
    assert AuditEvent.objects.filter(event="login_failed", outcome="failure").count() >= 5
    # 31 minutes later the lock has expired.
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert _post_login(Client(), "mama", "Kehou@2026", ip="10.9.9.9").status_code == 302


def test_remaining_lock_time_is_told(world):  # type: ignore[no-untyped-def]
    for _ in range(5):
        _post_login(Client(), "student1", "wrong-Pass1")
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=20))
    response = _post_login(Client(), "student1", "Kehou@2026")
    assert response.status_code == 429
    assert "10 分钟" in response.content.decode()


def test_many_failures_from_one_address_throttle_that_address(world, settings):  # type: ignore[no-untyped-def]
    assert settings.AFTERSCHOOL_LOGIN_ADDRESS_FAILURE_LIMIT >= 20  # a school behind one NAT is not locked out early
    settings.AFTERSCHOOL_LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for i in range(7):
        _post_login(Client(), f"nobody{i}", "wrong-Pass1", ip="10.1.1.1")
    assert _post_login(Client(), "school_a", "Kehou@2026", ip="10.1.1.1").status_code == 302
    _post_login(Client(), "nobody8", "wrong-Pass1", ip="10.1.1.1")
    # Even a real account with its right password is refused from that address …
    blocked = _post_login(Client(), "school_a", "Kehou@2026", ip="10.1.1.1")
    assert blocked.status_code == 429 and "30 分钟" in blocked.content.decode()
    # … but not from elsewhere.
    assert _post_login(Client(), "school_a", "Kehou@2026", ip="10.1.1.2").status_code == 302


def test_admin_can_unlock_an_account(world, login):  # type: ignore[no-untyped-def]
    for _ in range(5):
        _post_login(Client(), "teacher_a", "wrong-Pass1")
    assert _post_login(Client(), "teacher_a", "Kehou@2026", ip="10.2.2.2").status_code == 429
    admin = login(world.users["school_a"])
    response = admin.post(f"/accounts/users/{world.users['teacher_a'].pk}/unlock/")
    assert response.status_code == 302
    assert _post_login(Client(), "teacher_a", "Kehou@2026", ip="10.2.2.2").status_code == 302
    assert AuditEvent.objects.filter(event="user_unlock", object_id=str(world.users["teacher_a"].pk)).exists()


def test_account_created_by_admin_must_change_password_first(world):  # type: ignore[no-untyped-def]
    user, initial = services.user_create(
        actor=world.actor("school_a"), username="newteacher", role="teacher", school=world.school_a
    )
    client = Client()
    response = _post_login(client, "newteacher", initial)
    assert response.status_code == 302
    # Every page and the API hold the account at the password change page.
    assert client.get("/").url == "/accounts/password/change/"
    assert client.get("/tenancy/schools/").url == "/accounts/password/change/"
    api = client.get("/api/v1/accounts/me")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    page = client.get("/accounts/password/change/")
    assert 'data-testid="forced-change"' in page.content.decode()
    # The new password must meet the policy too.
    response = client.post(
        "/accounts/password/change/",
        {"old_password": initial, "new_password": "short", "new_password_confirm": "short"},
    )
    assert response.status_code == 200 and "至少" in response.content.decode()
    response = client.post(
        "/accounts/password/change/",
        {"old_password": initial, "new_password": "New#Pass2026", "new_password_confirm": "New#Pass2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/").status_code == 200  # the session survived the change
    assert AuditEvent.objects.filter(event="password_change", outcome="success", object_id=str(user.pk)).exists()


def test_password_change_needs_the_old_password(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["teacher_a"])
    response = client.post(
        "/accounts/password/change/",
        {"old_password": "Wrong#123", "new_password": "New#Pass2026", "new_password_confirm": "New#Pass2026"},
    )
    assert response.status_code == 200
    assert "原密码不正确" in response.content.decode()
    assert world.users["teacher_a"].check_password("Kehou@2026")


def test_idle_session_ends_after_30_minutes(world, settings):  # type: ignore[no-untyped-def]
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = Client()
    _post_login(client, "school_a", "Kehou@2026")
    key = client.session.session_key
    # Each request pushes the expiry 30 minutes forward …
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(minutes=5))
    assert client.get("/").status_code == 200
    expiry = Session.objects.get(session_key=key).expire_date
    assert expiry > timezone.now() + dt.timedelta(minutes=29)
    # … and 30 idle minutes end it.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_logout_ends_the_session_on_the_server(world):  # type: ignore[no-untyped-def]
    client = Client()
    _post_login(client, "school_a", "Kehou@2026")
    key = client.session.session_key
    assert client.get("/accounts/logout/").status_code == 405  # only POST logs out (CSRF-protected)
    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    stolen = Client()
    stolen.cookies["sessionid"] = key
    assert stolen.get("/").status_code == 302
    assert AuditEvent.objects.filter(event="logout", username="school_a").exists()


def test_login_and_failure_are_audited_with_address(world):  # type: ignore[no-untyped-def]
    _post_login(Client(), "school_a", "wrong-Pass1", ip="10.3.3.3")
    _post_login(Client(), "school_a", "Kehou@2026", ip="10.3.3.4")
    failed = AuditEvent.objects.get(event="login_failed")
    assert failed.username == "school_a" and failed.client_ip == "10.3.3.3" and failed.outcome == "failure"
    ok = AuditEvent.objects.get(event="login")
    assert ok.client_ip == "10.3.3.4" and ok.role == "school_admin" and ok.user_id == world.users["school_a"].pk


def test_inactive_user_cannot_log_in(world):  # type: ignore[no-untyped-def]
    User.objects.filter(username="school_a").update(is_active=False)
    response = _post_login(Client(), "school_a", "Kehou@2026")
    assert response.status_code == 200
