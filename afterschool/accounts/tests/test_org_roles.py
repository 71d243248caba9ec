"""Organization roles (机构角色, §5.5.3): definition, assignment, permission recomputation, enforcement."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from afterschool.accounts import selectors, services
from afterschool.accounts.choices import OrgPermission, Role
from afterschool.accounts.models import ApiToken, AuditEvent, OrgRole, RoleMembership, User
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.tenancy.actor import Actor

pytestmark = pytest.mark.django_db

API = "/api/v1/accounts"
P = OrgPermission


def _staff(world: Any, org_key: str = "org_a", username: str = "staff_a", permissions: Any = ()) -> RoleMembership:
    org = getattr(world, org_key)
    user = UserFactory(username=username)
    return MembershipFactory(user=user, role=Role.ORG_STAFF, organization=org, permissions=list(permissions))


def _actor(m: RoleMembership) -> Actor:
    m.refresh_from_db()
    return Actor(user=m.user, membership=m, client_ip="127.0.0.1", permissions=frozenset(m.permissions))


def _role(world: Any, name: str = "课程专员", org_key: str = "org_a", permissions: Any = (P.COURSE_VIEW,)) -> OrgRole:
    return OrgRole.objects.create(organization=getattr(world, org_key), name=name, permissions=list(permissions))


def _api(client: Client, method: str, path: str, data: Any = None) -> Any:
    if method == "get":
        return client.get(f"{API}{path}")
    return getattr(client, method)(f"{API}{path}", data=json.dumps(data), content_type="application/json")


# --- defining roles --------------------------------------------------------------------------------------------


def test_org_admin_creates_a_role_of_its_own_organization_and_it_is_audited(world: Any) -> None:
    role = services.org_role_create(
        actor=world.actor("org_a"),
        data={"name": " 教务 ", "description": "排课与外派", "permissions": [P.DISPATCH_MANAGE, P.COURSE_VIEW]},
    )
    assert role.organization == world.org_a and role.name == "教务"
    assert role.permissions == sorted([P.COURSE_VIEW.value, P.DISPATCH_MANAGE.value])
    row = AuditEvent.objects.get(event="create", object_type="accounts.orgrole", object_id=str(role.pk))
    assert row.organization_id_scope == world.org_a.pk


def test_role_name_is_unique_within_an_organization_only(world: Any) -> None:
    _role(world, "教务")
    with pytest.raises(ValidationFailed) as exc:
        services.org_role_create(actor=world.actor("org_a"), data={"name": "教务", "permissions": []})
    assert exc.value.detail == {"name": ["本机构已有名为“教务”的角色"]}
    assert services.org_role_create(actor=world.actor("org_b"), data={"name": "教务", "permissions": []}).pk


@pytest.mark.parametrize("bad", [["org.unknown"], ["patrol"], [P.COURSE_VIEW.value, "x"], "org.course_view"])
def test_every_permission_value_is_validated(world: Any, bad: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.org_role_create(actor=world.actor("org_a"), data={"name": "r", "permissions": bad})
    assert "permissions" in exc.value.detail
    assert not OrgRole.objects.exists()


@pytest.mark.parametrize("key", ["school_a", "bureau_a", "teacher_a", "parent", "orgteacher_a"])
def test_roles_other_than_org_managers_cannot_create_org_roles(world: Any, key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.org_role_create(actor=world.actor(key), data={"name": "r", "permissions": []})


def test_bureau_reads_its_regions_roles_but_cannot_change_them(world: Any) -> None:
    role_a, role_b = _role(world, "甲"), _role(world, "乙", org_key="org_b")
    bureau = world.actor("bureau_a")
    assert list(selectors.org_role_list(actor=bureau)) == [role_a]
    with pytest.raises(NotFound):
        selectors.org_role_get(actor=bureau, org_role_id=role_b.pk)
    with pytest.raises(PermissionDenied):
        services.org_role_update(actor=bureau, org_role=role_a, data={"name": "改"})
    with pytest.raises(PermissionDenied):
        services.org_role_delete(actor=bureau, org_role=role_a)
    assert OrgRole.objects.get(pk=role_a.pk).name == "甲"


def test_school_admin_sees_no_org_roles(world: Any) -> None:
    role = _role(world)
    assert not selectors.org_role_list(actor=world.actor("school_a")).exists()
    with pytest.raises(NotFound):
        services.org_role_update(actor=world.actor("school_a"), org_role=role, data={"name": "x"})


def test_other_organizations_admin_gets_not_found(world: Any) -> None:
    role = _role(world)
    org_b = world.actor("org_b")
    assert not selectors.org_role_list(actor=org_b).exists()
    for call in (
        lambda: selectors.org_role_get(actor=org_b, org_role_id=role.pk),
        lambda: services.org_role_update(actor=org_b, org_role=role, data={"name": "x"}),
        lambda: services.org_role_delete(actor=org_b, org_role=role),
    ):
        with pytest.raises(NotFound):
            call()


def test_system_admin_manages_any_organizations_roles(world: Any) -> None:
    system = world.actor("system")
    with pytest.raises(ValidationFailed):
        services.org_role_create(actor=system, data={"name": "r", "permissions": []})
    role = services.org_role_create(actor=system, data={"organization": world.org_b, "name": "r", "permissions": []})
    assert role.organization == world.org_b
    services.org_role_update(actor=system, org_role=role, data={"description": "平台代建"})
    services.org_role_delete(actor=system, org_role=role)
    assert not OrgRole.objects.exists()


# --- assigning and recomputing ------------------------------------------------------------------------------


def test_assigning_roles_folds_their_permissions_into_the_membership(world: Any) -> None:
    staff = _staff(world, permissions=["view_personal_data", P.TEACHER_EDIT.value])  # a stale org permission
    r1 = _role(world, "课程", permissions=[P.COURSE_VIEW, P.COURSE_EDIT])
    r2 = _role(world, "教师", permissions=[P.TEACHER_VIEW, P.COURSE_VIEW])
    services.org_roles_assign(actor=world.actor("org_a"), membership=staff, roles=[r1, r2])
    staff.refresh_from_db()
    assert set(staff.org_roles.all()) == {r1, r2}
    assert staff.permissions == sorted(["view_personal_data", P.COURSE_VIEW, P.COURSE_EDIT, P.TEACHER_VIEW])
    row = AuditEvent.objects.filter(event="update", object_type="accounts.rolemembership").latest("id")
    assert row.detail["org_roles_added"] == ["教师", "课程"]

    services.org_roles_assign(actor=world.actor("org_a"), membership=staff, roles=[])
    staff.refresh_from_db()
    assert staff.permissions == ["view_personal_data"] and not staff.org_roles.exists()


def test_editing_a_role_recomputes_every_member_holding_it(world: Any) -> None:
    role = _role(world, permissions=[P.COURSE_VIEW])
    other = _role(world, "教师", permissions=[P.TEACHER_VIEW])
    a, b = _staff(world, username="s1"), _staff(world, username="s2")
    org_a = world.actor("org_a")
    services.org_roles_assign(actor=org_a, membership=a, roles=[role, other])
    services.org_roles_assign(actor=org_a, membership=b, roles=[role])
    services.org_role_update(actor=org_a, org_role=role, data={"permissions": [P.DISPATCH_MANAGE]})
    a.refresh_from_db(), b.refresh_from_db()
    assert a.permissions == sorted([P.DISPATCH_MANAGE, P.TEACHER_VIEW])
    assert b.permissions == [P.DISPATCH_MANAGE]
    row = AuditEvent.objects.get(event="update", object_type="accounts.orgrole")
    assert row.detail["members_recomputed"] == 2 and "permissions" in row.detail["changes"]


def test_deleting_a_role_takes_it_from_its_members_and_recomputes(world: Any) -> None:
    role = _role(world, permissions=[P.COURSE_VIEW, P.COURSE_EDIT])
    keep = _role(world, "保留", permissions=[P.COURSE_VIEW])
    staff = _staff(world)
    services.org_roles_assign(actor=world.actor("org_a"), membership=staff, roles=[role, keep])
    members = services.org_role_delete(actor=world.actor("org_a"), org_role=role)
    assert [m.pk for m in members] == [staff.pk]
    staff.refresh_from_db()
    assert list(staff.org_roles.all()) == [keep] and staff.permissions == [P.COURSE_VIEW]
    row = AuditEvent.objects.get(event="delete", object_type="accounts.orgrole")
    assert row.detail["members"] == [staff.pk]


def test_org_admin_cannot_assign_roles_to_itself(world: Any) -> None:
    admin = world.actor("org_a")
    own_staff = MembershipFactory(user=admin.user, role=Role.ORG_STAFF, organization=world.org_a)
    with pytest.raises(PermissionDenied):
        services.org_roles_assign(actor=admin, membership=own_staff, roles=[_role(world)])
    assert not own_staff.org_roles.exists()


def test_org_admin_cannot_assign_to_another_organizations_member_or_to_an_admin(world: Any) -> None:
    staff_b = _staff(world, "org_b", "staff_b")
    with pytest.raises(NotFound):
        services.org_roles_assign(actor=world.actor("org_a"), membership=staff_b, roles=[])
    with pytest.raises(NotFound):  # an org admin's membership is not a role holder
        services.org_roles_assign(actor=world.actor("system"), membership=world.membership("org_a"), roles=[])


def test_a_role_of_another_organization_cannot_be_assigned(world: Any) -> None:
    staff = _staff(world)
    with pytest.raises(ValidationFailed):
        services.org_roles_assign(actor=world.actor("org_a"), membership=staff, roles=[_role(world, org_key="org_b")])
    with pytest.raises(ValidationFailed):
        services.org_roles_by_ids(
            actor=world.actor("org_a"), ids=[_role(world, "b2", org_key="org_b").pk], organization_id=world.org_a.pk
        )


def test_org_teacher_membership_can_hold_roles(world: Any) -> None:
    teacher = world.membership("orgteacher_a")
    services.org_roles_assign(actor=world.actor("org_a"), membership=teacher, roles=[_role(world)])
    teacher.refresh_from_db()
    assert teacher.permissions == [P.COURSE_VIEW]
    assert _actor(teacher).has_org_permission(P.COURSE_VIEW)


def test_revoking_a_membership_clears_its_org_roles(world: Any) -> None:
    staff = _staff(world, permissions=["patrol"])
    services.org_roles_assign(actor=world.actor("org_a"), membership=staff, roles=[_role(world)])
    services.membership_revoke(actor=world.actor("org_a"), membership=staff)
    staff.refresh_from_db()
    assert not staff.is_active and not staff.org_roles.exists() and staff.permissions == ["patrol"]
    row = AuditEvent.objects.get(event="membership_revoke")
    assert row.detail["org_roles_removed"] == ["课程专员"]


# --- organization staff holding 账号与角色管理 ---------------------------------------------------------------


def _manager(world: Any) -> RoleMembership:
    """A staff member holding a role with account management and course viewing."""
    manager = _staff(world, username="manager_a")
    services.org_roles_assign(
        actor=world.actor("org_a"),
        membership=manager,
        roles=[_role(world, "管理员助理", permissions=[P.ACCOUNT_MANAGE, P.COURSE_VIEW])],
    )
    return manager


def test_staff_with_account_manage_creates_accounts_and_assigns_roles_it_holds(world: Any) -> None:
    actor = _actor(_manager(world))
    user, initial = services.user_create(
        actor=actor, username="new_staff", role=Role.ORG_STAFF, organization=world.org_a
    )
    assert initial and user.memberships.get().role == Role.ORG_STAFF
    viewer = services.org_role_create(actor=actor, data={"name": "只读", "permissions": [P.COURSE_VIEW]})
    services.org_roles_assign(actor=actor, membership=user.memberships.get(), roles=[viewer])
    assert user.memberships.get().permissions == [P.COURSE_VIEW]


def test_staff_cannot_grant_permissions_it_does_not_hold(world: Any) -> None:
    actor = _actor(_manager(world))
    target = _staff(world, username="target")
    strong = _role(world, "外派", permissions=[P.DISPATCH_MANAGE])
    with pytest.raises(PermissionDenied) as exc:
        services.org_roles_assign(actor=actor, membership=target, roles=[strong])
    assert "外派管理" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.org_role_create(actor=actor, data={"name": "x", "permissions": [P.DISPATCH_MANAGE]})
    mine = OrgRole.objects.get(name="管理员助理")
    with pytest.raises(PermissionDenied):  # nor by widening a role it holds itself
        services.org_role_update(
            actor=actor, org_role=mine, data={"permissions": [P.ACCOUNT_MANAGE, P.DISPATCH_MANAGE]}
        )
    with pytest.raises(PermissionDenied):
        services.org_role_delete(actor=actor, org_role=strong)
    assert not target.org_roles.exists() and OrgRole.objects.get(pk=mine.pk).permissions == sorted(
        [P.ACCOUNT_MANAGE, P.COURSE_VIEW]
    )


def test_staff_cannot_manage_org_admins_nor_itself(world: Any) -> None:
    manager = _manager(world)
    actor = _actor(manager)
    with pytest.raises(PermissionDenied):
        services.user_create(actor=actor, username="boss", role=Role.ORG_ADMIN, organization=world.org_a)
    with pytest.raises(PermissionDenied):
        services.membership_revoke(actor=actor, membership=world.membership("org_a"))
    with pytest.raises(PermissionDenied):
        services.org_roles_assign(actor=actor, membership=manager, roles=[])
    admin_as_staff = MembershipFactory(user=world.users["org_a"], role=Role.ORG_STAFF, organization=world.org_a)
    with pytest.raises(PermissionDenied):
        services.org_roles_assign(actor=actor, membership=admin_as_staff, roles=[])


def test_staff_without_account_manage_sees_and_does_nothing(world: Any) -> None:
    _role(world)
    actor = _actor(_staff(world, permissions=[P.COURSE_VIEW]))
    assert not selectors.org_role_list(actor=actor).exists()
    assert not selectors.org_member_list(actor=actor).exists()
    with pytest.raises(PermissionDenied) as exc:
        services.org_role_create(actor=actor, data={"name": "r", "permissions": []})
    assert "账号与角色管理" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.user_create(actor=actor, username="x1", role=Role.ORG_STAFF, organization=world.org_a)


def test_require_org_permission_names_the_permission(world: Any) -> None:
    services.require_org_permission(world.actor("org_a"), P.DISPATCH_MANAGE)
    with pytest.raises(PermissionDenied) as exc:
        services.require_org_permission(world.actor("orgteacher_a"), P.DISPATCH_MANAGE)
    assert "外派管理" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.require_org_permission(world.actor("bureau_a"), P.COURSE_VIEW)


# --- enforcement on the next request (session and token) ----------------------------------------------------


def test_a_role_change_applies_on_the_next_session_request(world: Any, login: Any) -> None:
    staff = _staff(world)
    role = _role(world, "账号", permissions=[P.ACCOUNT_MANAGE])
    client = login(staff.user)
    assert client.get(reverse("accounts:org_role_list")).status_code == 403
    services.org_roles_assign(actor=world.actor("org_a"), membership=staff, roles=[role])
    assert client.get(reverse("accounts:org_role_list")).status_code == 200
    services.org_role_update(actor=world.actor("org_a"), org_role=role, data={"permissions": [P.COURSE_VIEW]})
    assert client.get(reverse("accounts:org_role_list")).status_code == 403


def test_a_role_change_applies_on_the_next_token_request(world: Any) -> None:
    staff = _staff(world)
    role = _role(world, "账号", permissions=[P.ACCOUNT_MANAGE])
    raw = services.TOKEN_PREFIX + "orgstafftoken-0123456789abcdef"
    ApiToken.objects.create(
        user=staff.user,
        membership=staff,
        name="t",
        prefix=raw[:10],
        key_digest=services._token_digest(raw),
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {"name": "新角色", "permissions": []}
    assert _api(client, "post", "/org-roles", body).status_code == 403
    services.org_roles_assign(actor=world.actor("org_a"), membership=staff, roles=[role])
    assert _api(client, "post", "/org-roles", body).status_code == 201
    services.org_roles_assign(actor=world.actor("org_a"), membership=staff, roles=[])
    assert _api(client, "post", "/org-roles", {**body, "name": "再来"}).status_code == 403
    assert _api(client, "get", "/org-roles").json()["count"] == 0


# --- pages --------------------------------------------------------------------------------------------------


def test_org_admin_defines_edits_and_deletes_a_role_on_the_pages(world: Any, login: Any) -> None:
    client = login(world.users["org_a"])
    assert client.get(reverse("accounts:org_role_create")).status_code == 200
    response = client.post(reverse("accounts:org_role_create"), {"name": "", "permissions": ["org.bogus"]})
    page = response.content.decode()
    assert response.status_code == 200 and "请填写角色名称" in page and "未知的权限" in page
    response = client.post(
        reverse("accounts:org_role_create"),
        {"name": "课程专员", "description": "维护课程", "permissions": [P.COURSE_VIEW, P.COURSE_EDIT]},
    )
    role = OrgRole.objects.get()
    assert response.status_code == 302 and role.organization == world.org_a
    detail = client.get(reverse("accounts:org_role_detail", args=[role.pk])).content.decode()
    assert "编辑课程" in detail and "维护课程" in detail
    dup = client.post(reverse("accounts:org_role_create"), {"name": "课程专员", "permissions": []})
    assert "本机构已有名为“课程专员”的角色" in dup.content.decode()

    staff = _staff(world)
    services.org_roles_assign(actor=world.actor("org_a"), membership=staff, roles=[role])
    edit = client.post(
        reverse("accounts:org_role_edit", args=[role.pk]), {"name": "课程专员", "permissions": [P.COURSE_VIEW]}
    )
    assert edit.status_code == 302
    staff.refresh_from_db()
    assert staff.permissions == [P.COURSE_VIEW]

    confirm = client.get(reverse("accounts:org_role_delete", args=[role.pk]))
    assert confirm.status_code == 200 and "staff_a" in confirm.content.decode()
    assert OrgRole.objects.exists()
    assert client.post(reverse("accounts:org_role_delete", args=[role.pk])).status_code == 302
    staff.refresh_from_db()
    assert not OrgRole.objects.exists() and staff.permissions == []


def test_role_list_page_filters_and_exports_with_audit(world: Any, login: Any) -> None:
    _role(world, "课程专员", permissions=[P.COURSE_VIEW])
    _role(world, "外派专员", permissions=[P.DISPATCH_MANAGE])
    _role(world, "别家", org_key="org_b")
    client = login(world.users["org_a"])
    page = client.get(reverse("accounts:org_role_list"), {"permission": P.DISPATCH_MANAGE.value}).content.decode()
    assert "外派专员" in page and "课程专员" not in page and "别家" not in page
    page = client.get(reverse("accounts:org_role_list"), {"q": "课程", "permission": "nonsense"}).content.decode()
    assert "课程专员" in page and "外派专员" not in page
    response = client.get(reverse("accounts:org_role_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == ["外派专员", "课程专员"]
    assert AuditEvent.objects.filter(event="export", detail__what="org_roles").exists()


def test_cross_organization_pages_answer_404(world: Any, login: Any) -> None:
    role = _role(world)
    staff = _staff(world)
    client = login(world.users["org_b"])
    for name, arg in (
        ("accounts:org_role_detail", role.pk),
        ("accounts:org_role_edit", role.pk),
        ("accounts:org_role_delete", role.pk),
        ("accounts:org_member_roles", staff.pk),
    ):
        assert client.get(reverse(name, args=[arg])).status_code == 404
    assert client.post(reverse("accounts:org_role_delete", args=[role.pk])).status_code == 404
    assert client.post(reverse("accounts:org_member_roles", args=[staff.pk]), {"roles": [role.pk]}).status_code == 404
    assert "课程专员" not in client.get(reverse("accounts:org_role_list")).content.decode()
    assert OrgRole.objects.filter(pk=role.pk).exists() and not staff.org_roles.exists()


@pytest.mark.parametrize("key", ["school_a", "teacher_a", "parent", "orgteacher_a"])
def test_other_roles_are_refused_the_role_pages(world: Any, login: Any, key: str) -> None:
    role = _role(world)
    client = login(world.users[key])
    assert client.get(reverse("accounts:org_role_list")).status_code == 403
    assert client.post(reverse("accounts:org_role_create"), {"name": "x"}).status_code == 403
    assert client.post(reverse("accounts:org_role_delete", args=[role.pk])).status_code == 403


def test_bureau_reads_role_pages_but_cannot_write(world: Any, login: Any) -> None:
    role = _role(world)
    client = login(world.users["bureau_a"])
    assert "课程专员" in client.get(reverse("accounts:org_role_list")).content.decode()
    assert client.get(reverse("accounts:org_role_detail", args=[role.pk])).status_code == 200
    assert client.get(reverse("accounts:org_role_create")).status_code == 403
    assert client.post(reverse("accounts:org_role_edit", args=[role.pk]), {"name": "x"}).status_code == 403
    assert client.get(reverse("accounts:org_member_list")).status_code == 200
    b = login(world.users["bureau_b"])
    assert b.get(reverse("accounts:org_role_detail", args=[role.pk])).status_code == 404


def test_org_admin_creates_a_staff_account_then_assigns_roles_on_its_page(world: Any, login: Any) -> None:
    role = _role(world)
    client = login(world.users["org_a"])
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "zhang_staff", "display_name": "张三", "mobile": "13800001111", "role": Role.ORG_STAFF},
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="initial-password"' in page
    membership = RoleMembership.objects.get(user__username="zhang_staff")
    assert membership.organization == world.org_a and membership.role == Role.ORG_STAFF
    assert reverse("accounts:org_member_roles", args=[membership.pk]) in page
    assert User.objects.get(username="zhang_staff").must_change_password

    url = reverse("accounts:org_member_roles", args=[membership.pk])
    assert "课程专员" in client.get(url).content.decode()
    assert client.post(url, {"roles": [role.pk]}).status_code == 302
    membership.refresh_from_db()
    assert membership.permissions == [P.COURSE_VIEW]
    foreign = _role(world, "外", org_key="org_b")
    bad = client.post(url, {"roles": [foreign.pk]})
    assert bad.status_code == 200 and "不存在或不属于该机构" in bad.content.decode()
    members = client.get(reverse("accounts:org_member_list"), {"org_role": role.pk}).content.decode()
    assert "zhang_staff" in members and "138****1111" in members


def test_member_roles_page_refuses_escalation_with_a_message(world: Any, login: Any) -> None:
    manager = _manager(world)
    target = _staff(world, username="target")
    strong = _role(world, "外派", permissions=[P.DISPATCH_MANAGE])
    client = login(manager.user)
    assert client.get(reverse("accounts:user_list")).status_code == 200
    response = client.post(reverse("accounts:org_member_roles", args=[target.pk]), {"roles": [strong.pk]})
    assert response.status_code == 200 and "外派管理" in response.content.decode()
    assert not target.org_roles.exists()
    assert AuditEvent.objects.filter(event="permission_denied", username="manager_a").exists()


def test_member_list_export_is_audited(world: Any, login: Any) -> None:
    _staff(world)
    _staff(world, "org_b", "staff_b")
    client = login(world.users["org_a"])
    response = client.get(reverse("accounts:org_member_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    usernames = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "staff_a" in usernames and "orgteacher_a" in usernames and "staff_b" not in usernames
    assert AuditEvent.objects.filter(event="export", detail__what="org_members").exists()


def test_org_admin_home_links_to_roles_and_accounts(world: Any, login: Any) -> None:
    page = login(world.users["org_a"]).get("/").content.decode()
    assert reverse("accounts:org_role_list") in page and reverse("accounts:org_member_list") in page


# --- API ----------------------------------------------------------------------------------------------------


def test_org_roles_crud_through_the_api(world: Any, login: Any) -> None:
    client = login(world.users["org_a"])
    created = _api(client, "post", "/org-roles", {"name": "教务", "permissions": [P.COURSE_VIEW]})
    assert created.status_code == 201
    body = created.json()
    assert body["organization_id"] == world.org_a.pk and body["permission_labels"] == ["查看课程"]
    role_id = body["id"]
    assert _api(client, "get", "/org-roles").json()["count"] == 1
    staff = _staff(world)
    assigned = _api(client, "put", f"/org-members/{staff.pk}/roles", {"role_ids": [role_id]})
    assert assigned.status_code == 200 and assigned.json()["permissions"] == [P.COURSE_VIEW]
    patched = _api(client, "patch", f"/org-roles/{role_id}", {"permissions": [P.TEACHER_VIEW]})
    assert patched.status_code == 200 and patched.json()["member_count"] == 1
    member = _api(client, "get", f"/org-members/{staff.pk}").json()
    assert member["permissions"] == [P.TEACHER_VIEW] and member["org_roles"] == [{"id": role_id, "name": "教务"}]
    members = _api(client, "get", "/org-members?role=org_staff").json()
    assert [m["username"] for m in members["items"]] == ["staff_a"]
    assert _api(client, "delete", f"/org-roles/{role_id}").status_code == 204
    assert _api(client, "get", f"/org-members/{staff.pk}").json()["permissions"] == []


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "r", "permissions": ["org.nope"]},
        {"name": "", "permissions": []},
        {"name": "x" * 33},
        {"name": "r", "permissions": "org.course_view"},
        {"name": "r\x00"},
    ],
)
def test_bad_role_input_is_a_422(world: Any, login: Any, payload: Any) -> None:
    response = _api(login(world.users["org_a"]), "post", "/org-roles", payload)
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_unknown_permission_error_is_in_chinese(world: Any, login: Any) -> None:
    body = _api(login(world.users["org_a"]), "post", "/org-roles", {"name": "r", "permissions": ["org.nope"]}).json()
    assert body["detail"] == {"permissions": ["未知的权限“org.nope”"]}


def test_cross_organization_api_answers_404(world: Any, login: Any) -> None:
    role = _role(world)
    staff = _staff(world)
    client = login(world.users["org_b"])
    assert _api(client, "get", "/org-roles").json()["count"] == 0
    assert _api(client, "get", f"/org-roles/{role.pk}").status_code == 404
    assert _api(client, "patch", f"/org-roles/{role.pk}", {"name": "x"}).status_code == 404
    assert _api(client, "delete", f"/org-roles/{role.pk}").status_code == 404
    assert _api(client, "get", f"/org-members/{staff.pk}").status_code == 404
    assert _api(client, "put", f"/org-members/{staff.pk}/roles", {"role_ids": []}).status_code == 404
    own = _role(world, "自己的", org_key="org_b")
    staff_b = _staff(world, "org_b", "staff_b")
    response = _api(client, "put", f"/org-members/{staff_b.pk}/roles", {"role_ids": [own.pk, role.pk]})
    assert response.status_code == 422 and not staff_b.org_roles.exists()


@pytest.mark.parametrize("key", ["school_a", "bureau_a"])
def test_school_admin_and_bureau_cannot_write_roles_through_the_api(world: Any, login: Any, key: str) -> None:
    role = _role(world)
    client = login(world.users[key])
    assert _api(client, "post", "/org-roles", {"name": "r", "organization_id": world.org_a.pk}).status_code == 403
    assert _api(client, "patch", f"/org-roles/{role.pk}", {"name": "x"}).status_code in (403, 404)
    assert _api(client, "delete", f"/org-roles/{role.pk}").status_code in (403, 404)
    assert OrgRole.objects.get(pk=role.pk).name == "课程专员"


def test_system_admin_creates_a_role_for_a_named_organization_through_the_api(world: Any, login: Any) -> None:
    client = login(world.users["system"])
    assert _api(client, "post", "/org-roles", {"name": "r"}).status_code == 422
    response = _api(client, "post", "/org-roles", {"name": "r", "organization_id": world.org_b.pk})
    assert response.status_code == 201 and response.json()["organization_id"] == world.org_b.pk
    assert _api(client, "post", "/org-roles", {"name": "r", "organization_id": 2**60}).status_code == 404
