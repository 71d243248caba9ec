"""Role switching, the Actor, API tokens, and what each role may grant."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from afterschool.accounts import services
from afterschool.accounts.models import ApiToken, AuditEvent, RoleMembership
from afterschool.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


def test_person_with_two_roles_switches_between_them(world, login):  # type: ignore[no-untyped-def]
    teacher = world.users["teacher_a"]
    parent_role = RoleMembership.objects.create(user=teacher, role="parent")
    client = login(teacher)
    assert client.get("/api/v1/accounts/me").json()["active_membership"]["role"] == "teacher"
    response = client.post("/accounts/role/switch/", {"membership": parent_role.pk, "next": "/"})
    assert response.status_code == 302
    me = client.get("/api/v1/accounts/me").json()
    assert me["active_membership"]["role"] == "parent"
    assert {m["role"] for m in me["memberships"]} == {"teacher", "parent"}
    assert "家长工作台" in client.get("/").content.decode()
    assert AuditEvent.objects.filter(event="role_switch", user_id=teacher.pk).exists()


def test_cannot_switch_to_someone_elses_role(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["teacher_a"])
    other = world.membership("school_a")
    assert client.post("/accounts/role/switch/", {"membership": other.pk}).status_code == 404
    assert client.post("/accounts/role/switch/", {"membership": "abc"}).status_code == 404
    assert client.get("/api/v1/accounts/me").json()["active_membership"]["role"] == "teacher"


def test_role_switch_refuses_open_redirect(world, login):  # type: ignore[no-untyped-def]
    teacher = world.users["teacher_a"]
    parent_role = RoleMembership.objects.create(user=teacher, role="parent")
    client = login(teacher)
    response = client.post("/accounts/role/switch/", {"membership": parent_role.pk, "next": "https://evil.example/"})
    assert response.url == "/"


def test_revoked_role_is_no_longer_active(world, login):  # type: ignore[no-untyped-def]
    teacher = world.users["teacher_a"]
    parent_role = RoleMembership.objects.create(user=teacher, role="parent")
    client = login(teacher)
    client.post("/accounts/role/switch/", {"membership": parent_role.pk})
    services.membership_revoke(actor=world.actor("system"), membership=parent_role)
    assert client.get("/api/v1/accounts/me").json()["active_membership"]["role"] == "teacher"


def test_token_authenticates_as_the_role_it_was_issued_for(world):  # type: ignore[no-untyped-def]
    token, raw = services.token_issue(actor=world.actor("school_a"), name="教务系统", days=30)
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.key_digest, stored.prefix) and len(stored.key_digest) == 64
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    me = client.get("/api/v1/accounts/me").json()
    assert me["active_membership"]["role"] == "school_admin"
    schools = client.get("/api/v1/tenancy/schools").json()
    assert [s["id"] for s in schools["items"]] == [world.school_a.pk]


@pytest.mark.parametrize("state", ["revoked", "expired", "role_revoked", "user_inactive", "garbage"])
def test_dead_token_gets_401_with_the_error_shape(world, state):  # type: ignore[no-untyped-def]
    token, raw = services.token_issue(actor=world.actor("school_a"), name="t", days=30)
    if state == "revoked":
        services.token_revoke(actor=world.actor("school_a"), token_id=token.pk)
    elif state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif state == "role_revoked":
        RoleMembership.objects.filter(pk=token.membership_id).update(is_active=False)
    elif state == "user_inactive":
        type(world.users["school_a"]).objects.filter(pk=world.users["school_a"].pk).update(is_active=False)
    elif state == "garbage":
        raw = raw[:-4] + "AAAA"
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/tenancy/schools")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "detail"}
    assert response.json()["code"] == "unauthenticated"


def test_tokens_are_issued_and_revoked_through_the_api_and_only_by_their_owner(world, login):  # type: ignore[no-untyped-def]
    owner = login(world.users["school_a"])
    issued = owner.post("/api/v1/accounts/tokens", {"name": "家校系统", "days": 7}, content_type="application/json")
    assert issued.status_code == 201
    body = issued.json()
    assert body["token"].startswith("as_") and body["role"] == "school_admin"
    other = login(world.users["school_b"])
    assert other.post(f"/api/v1/accounts/tokens/{body['id']}/revoke").status_code == 404
    assert owner.post(f"/api/v1/accounts/tokens/{body['id']}/revoke").json()["revoked_at"] is not None
    bad = owner.post("/api/v1/accounts/tokens", {"name": "", "days": 999}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def test_token_page_shows_the_raw_key_once(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["bureau_a"])
    page = client.post("/accounts/tokens/", {"name": "统计平台", "days": 30}).content.decode()
    assert 'data-testid="new-token"' in page
    token = ApiToken.objects.get(name="统计平台")
    listing = client.get("/accounts/tokens/").content.decode()
    assert token.prefix in listing and 'data-testid="new-token"' not in listing


@pytest.mark.parametrize(
    ("granter", "role", "scope_key", "allowed"),
    [
        ("school_a", "teacher", "school_a", True),
        ("school_a", "teacher", "school_b", False),  # another school
        ("school_a", "bureau_admin", None, False),  # above its own level
        ("bureau_a", "school_admin", "school_a2", True),
        ("bureau_a", "school_admin", "school_b", False),  # another district
        ("org_a", "org_teacher", "org_a", True),
        ("org_a", "org_teacher", "org_b", False),
        ("teacher_a", "teacher", "school_a", False),
    ],
)
def test_accounts_are_created_only_inside_the_granters_scope(world, granter, role, scope_key, allowed):  # type: ignore[no-untyped-def]
    scope = {}
    if scope_key:
        obj = getattr(world, scope_key)
        scope = {"school": obj} if scope_key.startswith("school") else {"organization": obj}
    if role == "bureau_admin":
        scope = {"region": world.district_a}

    def create():  # type: ignore[no-untyped-def]
        return services.user_create(actor=world.actor(granter), username="new1", role=role, **scope)

    if allowed:
        user, _ = create()
        assert user.must_change_password
    else:
        with pytest.raises(PermissionDenied):
            create()


def test_user_list_is_scoped_and_searchable(world, login):  # type: ignore[no-untyped-def]
    import re

    def usernames(url: str) -> set[str]:
        page = login(world.users["school_a"]).get(url).content.decode()
        return set(re.findall(r'data-label="用户名">([^<]+)<', page))

    assert usernames("/accounts/users/?q=teacher") == {"teacher_a"}
    assert usernames("/accounts/users/") == {"school_a", "teacher_a", "student1"}
    export = login(world.users["school_a"]).get("/accounts/users/?export=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_admin_creates_account_on_the_page_and_sees_the_initial_password_once(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["school_a"])
    response = client.post(
        "/accounts/users/new/",
        {"username": "wanglaoshi", "display_name": "王老师", "mobile": "13700001111", "role": "teacher"},
    )
    assert response.status_code == 200
    assert 'data-testid="initial-password"' in response.content.decode()
    membership = RoleMembership.objects.get(user__username="wanglaoshi")
    assert membership.school_id == world.school_a.pk
    bad = client.post("/accounts/users/new/", {"username": "x2", "mobile": "12345", "role": "teacher"})
    assert "手机号格式不正确" in bad.content.decode()
    dup = client.post("/accounts/users/new/", {"username": "wanglaoshi", "role": "teacher"})
    assert "用户名已被使用" in dup.content.decode()


@pytest.mark.parametrize("key", ["student", "parent"])
def test_parent_and_student_see_only_themselves_even_with_a_school_on_their_role(world, key):  # type: ignore[no-untyped-def]
    from afterschool.accounts.selectors import audit_list, user_list
    from afterschool.tenancy.selectors import school_list

    actor = world.actor(key)
    assert list(user_list(actor=actor)) == [world.users[key]]
    assert not school_list(actor=actor).exists()
    services.record_write(actor=world.actor("school_a"), event="create", obj=world.school_a)
    assert not audit_list(actor=actor).exclude(user_id=world.users[key].pk).exists()


def test_bureau_sees_the_accounts_and_audit_rows_of_its_schools(world):  # type: ignore[no-untyped-def]
    from afterschool.accounts.selectors import audit_list, user_list

    services.user_create(actor=world.actor("bureau_a"), username="newhead", role="school_admin", school=world.school_a2)
    bureau = world.actor("bureau_a")
    visible = set(user_list(actor=bureau).values_list("username", flat=True))
    assert {"newhead", "school_a", "teacher_a", "org_a", "bureau_a"} <= visible
    assert not visible & {"school_b", "org_b", "bureau_b"}
    services.record_write(actor=world.actor("school_a"), event="update", obj=world.school_a)
    services.record_write(actor=world.actor("school_b"), event="update", obj=world.school_b)
    scopes = set(audit_list(actor=bureau).filter(event="update").values_list("username", flat=True))
    assert scopes == {"school_a"}


def test_wrong_old_password_is_audited_as_a_failure(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["teacher_a"])
    client.post(
        "/accounts/password/change/",
        {"old_password": "Wrong#123", "new_password": "New#Pass2026", "new_password_confirm": "New#Pass2026"},
    )
    assert AuditEvent.objects.filter(event="password_change", outcome="failure").exists()


def test_teacher_cannot_issue_api_tokens(world, login):  # type: ignore[no-untyped-def]
    response = login(world.users["teacher_a"]).post(
        "/api/v1/accounts/tokens", {"name": "x", "days": 7}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert AuditEvent.objects.filter(event="permission_denied", username="teacher_a").exists()


def test_password_reset_revokes_the_accounts_tokens(world):  # type: ignore[no-untyped-def]
    _, raw = services.token_issue(actor=world.actor("school_a"), name="t", days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/accounts/me").status_code == 200
    services.password_reset(actor=world.actor("bureau_a"), user=world.users["school_a"])
    assert client.get("/api/v1/accounts/me").status_code == 401
