"""Security headers, CSRF, error pages, production hardening, and the API's one error shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client

from afterschool.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_pages_send_a_strict_csp_and_the_other_security_headers(world, login):  # type: ignore[no-untyped-def]
    response = login(world.users["school_a"]).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_contain_no_inline_script(world, login):  # type: ignore[no-untyped-def]
    import re

    client = login(world.users["bureau_a"])
    for path in ["/", "/tenancy/schools/", f"/tenancy/schools/{world.school_a.pk}/", "/accounts/audit/",
                 "/accounts/users/new/", "/accounts/login/"]:  # fmt: skip
        html = client.get(path).content.decode()
        for tag in re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S):
            assert tag.strip() == "", f"inline script on {path}"
        assert " onclick=" not in html and " onsubmit=" not in html


def test_forms_are_csrf_protected(world):  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "school_a", "password": "Kehou@2026"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    client.force_login(world.users["school_a"], backend="afterschool.accounts.backends.UsernameOrMobileBackend")
    assert client.post("/accounts/logout/").status_code == 403
    api = client.post("/api/v1/accounts/tokens", {"name": "x"}, content_type="application/json")
    assert api.status_code == 403 and set(api.json()) == {"code", "message", "detail"}


def test_error_pages_are_in_chinese(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["teacher_a"])
    not_found = client.get("/no/such/page/")
    assert not_found.status_code == 404 and "页面不存在" in not_found.content.decode()
    forbidden = client.get("/accounts/audit/")
    assert forbidden.status_code == 403 and "没有权限" in forbidden.content.decode()
    assert AuditEvent.objects.filter(event="permission_denied", username="teacher_a").exists()


def test_unhandled_error_gives_the_chinese_500_page(world, login, monkeypatch):  # type: ignore[no-untyped-def]
    from afterschool.tenancy import selectors

    def boom(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    monkeypatch.setattr(selectors, "tenancy_summary", boom)
    client = login(world.users["school_a"])
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500 and "服务器出错" in response.content.decode()


def test_api_errors_share_one_shape(world, login):  # type: ignore[no-untyped-def]
    anonymous = Client().get("/api/v1/tenancy/schools")
    assert anonymous.status_code == 401
    client = login(world.users["bureau_a"])
    cases = [
        client.get("/api/v1/tenancy/schools/999999"),
        client.get("/api/v1/tenancy/schools?page_size=1000"),
        client.get("/api/v1/tenancy/schools/abc"),
        client.post("/api/v1/tenancy/schools", "not json", content_type="application/json"),
        client.post("/api/v1/tenancy/schools", {"code": "123"}, content_type="application/json"),
        anonymous,
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, response.content
        body = response.json()
        assert set(body) == {"code", "message", "detail"}
        assert isinstance(body["code"], str) and body["message"]


def test_openapi_document_and_docs_page_are_served_without_a_cdn(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["system"])
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/tenancy/schools" in doc["paths"]
    assert {"BearerTokenAuth", "SessionActorAuth"} <= set(doc["components"]["securitySchemes"])
    page = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in page.lower() and "/static/ninja/" in page


def test_system_admin_access_is_audited(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["system"])
    client.get(f"/tenancy/schools/{world.school_b.pk}/")
    row = AuditEvent.objects.filter(event="access").latest("seq")
    assert row.username == "sys" and row.detail["path"] == f"/tenancy/schools/{world.school_b.pk}/"


def test_system_admin_open_tab_reconnecting_its_unread_count_is_not_an_access(world, login, monkeypatch):  # type: ignore[no-untyped-def]
    from afterschool.notifications.views import stream

    monkeypatch.setattr(stream, "STREAM_SECONDS", 0.0)  # the stream ends at once, as one reconnect would
    client = login(world.users["system"])
    before = AuditEvent.objects.filter(event="access").count()
    response = client.get("/notifications/stream/")
    # Read to the end, the test client closes the response as the server would (firing request_finished).
    assert response.status_code == 200 and b"event: unread" in b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(event="access").count() == before
    client.get("/notifications/")  # the inbox page itself is an access like any other
    assert AuditEvent.objects.filter(event="access").latest("seq").detail["path"] == "/notifications/"


def test_production_settings_harden_cookies_and_transport():  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "kehou.example.cn",
        "DATABASE_URL": "postgres://u@db/afterschool",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "AFTERSCHOOL_SM4_KEY_IDS": "k2026",
        "AFTERSCHOOL_SM4_KEY_K2026": "00" * 16,
        "AFTERSCHOOL_SM4_ACTIVE_KEY": "k2026",
        "AFTERSCHOOL_INDEX_KEY": "11" * 16,
        "AFTERSCHOOL_AUDIT_KEY": "22" * 16,
        "S3_BUCKET": "afterschool",
        "PAYMENT_BANK_URL": "https://bank.example.cn",
        "PAYMENT_MERCHANT_ID": "M1",
        "PAYMENT_MERCHANT_PRIVATE_KEY": "11" * 32,
        "PAYMENT_BANK_PUBLIC_KEY": "22" * 64,
        "PAYMENT_NOTIFY_BASE_URL": "https://kehou.example.cn",
    }
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'hsts': s.SECURE_HSTS_SECONDS, 'ssl': s.SECURE_SSL_REDIRECT, 'sc': s.SESSION_COOKIE_SECURE, "
        "'cc': s.CSRF_COOKIE_SECURE, 'debug': s.DEBUG, 'storage': s.STORAGES['default']['BACKEND'], "
        "'sessions': s.SESSION_ENGINE}))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    values = json.loads(out.stdout.strip().splitlines()[-1])
    assert values["hsts"] >= 31536000 and values["ssl"] and values["sc"] and values["cc"] and not values["debug"]
    assert values["storage"] == "storages.backends.s3.S3Storage"
    assert values["sessions"] == "django.contrib.sessions.backends.cache"
    missing = {k: v for k, v in env.items() if k != "AFTERSCHOOL_AUDIT_KEY"}
    failed = subprocess.run([sys.executable, "-c", code], env=missing, capture_output=True, text=True)
    assert failed.returncode != 0 and "AFTERSCHOOL_AUDIT_KEY" in failed.stderr


def test_django_admin_is_for_system_admins_in_that_role(world, login):  # type: ignore[no-untyped-def]
    from afterschool.accounts.models import RoleMembership

    sys_user = world.users["system"]
    type(sys_user).objects.filter(pk=sys_user.pk).update(is_staff=True, is_superuser=True)
    sys_user.refresh_from_db()
    client = login(sys_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/tenancy/school/").status_code == 200
    # The same person acting in another role does not get the admin.
    other = RoleMembership.objects.create(user=sys_user, role="parent")
    client.post("/accounts/role/switch/", {"membership": other.pk})
    assert client.get("/admin/", follow=True).status_code == 403
    # Staff flags alone are not enough.
    school_admin = world.users["school_a"]
    type(school_admin).objects.filter(pk=school_admin.pk).update(is_staff=True, is_superuser=True)
    school_admin.refresh_from_db()
    response = login(school_admin).get("/admin/", follow=True)
    assert response.status_code == 403 and "没有权限" in response.content.decode()
    assert Client().get("/admin/login/").url.startswith("/accounts/login/")


def test_health_endpoint_reports_database_and_cache(db):  # type: ignore[no-untyped-def]
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["checks"]["migrations"] == "applied"


def test_unknown_api_paths_and_methods_answer_in_the_error_shape(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["bureau_a"])
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong_method = client.put(f"/api/v1/tenancy/schools/{world.school_a.pk}", {}, content_type="application/json")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
    assert "PATCH" in wrong_method["Allow"] and "PATCH" in wrong_method.json()["detail"]["allowed"]
    bad_body = client.post("/api/v1/tenancy/schools", "{not json", content_type="application/json")
    assert bad_body.status_code == 400 and bad_body.json()["code"] == "bad_request"
