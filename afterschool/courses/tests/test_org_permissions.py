"""§5.5.3 across the organization's whole surface: a staff member holds exactly the permissions of its org roles.

Each case names one permission, a read (page and API) and a write (API) of the organization that it governs.
Without the permission the read shows nothing (404 on the object, an empty list) and the write is refused; with
it both work; with every other permission but that one, still refused — so no permission opens another's door.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from afterschool.accounts.choices import OrgPermission
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.courses.tests.factories import ChapterFactory, CourseFactory, DispatchFactory, OrgTeacherFactory
from afterschool.schools.tests.factories import make_id_number

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Door:
    permission: str
    page: Callable[[dict[str, Any]], str]  # a page of one object the permission lets you read
    api_list: str
    write: Callable[[dict[str, Any]], tuple[str, str, Any]]  # method, path, body
    write_ok: int


DOORS = [
    Door(
        OrgPermission.COURSE_VIEW,
        lambda o: f"/courses/{o['course'].pk}/",
        "/api/v1/courses/courses",
        lambda o: ("get", f"/api/v1/courses/courses/{o['course'].pk}", None),
        200,
    ),
    Door(
        OrgPermission.COURSE_EDIT,
        lambda o: f"/courses/{o['course'].pk}/",
        "/api/v1/courses/courses",
        lambda o: ("post", "/api/v1/courses/courses", {"name": "新课程", "category": "arts", "grade_levels": [1]}),
        201,
    ),
    Door(
        OrgPermission.TEACHER_VIEW,
        lambda o: f"/courses/teachers/{o['teacher'].pk}/",
        "/api/v1/courses/teachers",
        lambda o: ("get", f"/api/v1/courses/teachers/{o['teacher'].pk}", None),
        200,
    ),
    Door(
        OrgPermission.TEACHER_EDIT,
        lambda o: f"/courses/teachers/{o['teacher'].pk}/",
        "/api/v1/courses/teachers",
        lambda o: (
            "post",
            "/api/v1/courses/teachers",
            {"name": "新教师", "mobile": "13612345678", "id_number": make_id_number(77, dt.date(1991, 1, 1))},
        ),
        201,
    ),
    Door(
        OrgPermission.DISPATCH_MANAGE,
        lambda o: f"/courses/dispatches/{o['dispatch'].pk}/",
        "/api/v1/courses/dispatches",
        lambda o: ("post", f"/api/v1/courses/dispatches/{o['dispatch'].pk}/cancel", {"reason": "学期调整"}),
        200,
    ),
    Door(
        OrgPermission.PARTNERSHIP_VIEW,
        lambda o: f"/tenancy/partnerships/{o['partnership'].pk}/",
        "/api/v1/tenancy/partnerships",
        lambda o: ("get", f"/api/v1/tenancy/partnerships/{o['partnership'].pk}", None),
        200,
    ),
    Door(
        OrgPermission.ACCOUNT_MANAGE,
        lambda o: "/accounts/org/roles/",
        "/api/v1/accounts/org-roles",
        lambda o: ("post", "/api/v1/accounts/org-roles", {"name": "新角色", "permissions": []}),
        201,
    ),
]


@pytest.fixture
def org_objects(world: Any) -> dict[str, Any]:
    from afterschool.accounts.models import OrgRole

    course = CourseFactory(owner_organization=world.org_a)
    ChapterFactory(course=course)
    teacher = OrgTeacherFactory(organization=world.org_a)
    dispatch = DispatchFactory(teacher=teacher, school=world.school_a)
    OrgRole.objects.create(organization=world.org_a, name="已有角色", permissions=[])
    return {
        "course": course,
        "teacher": teacher,
        "dispatch": dispatch,
        "partnership": world.org_a.partnerships.get(school=world.school_a),
    }


def _staff(world: Any, login: Any, permissions: list[str]) -> Any:
    user = UserFactory()
    MembershipFactory(user=user, role="org_staff", organization=world.org_a, permissions=permissions)
    return login(user)


def _call(client: Any, method: str, path: str, body: Any) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def _count(response: Any) -> int:
    assert response.status_code == 200, response.content
    return int(response.json()["count"])


@pytest.mark.parametrize("door", DOORS, ids=[d.permission for d in DOORS])
def test_org_staff_without_the_permission_is_refused_on_page_and_api(
    world: Any, login: Any, org_objects: dict[str, Any], door: Door
) -> None:
    others = [p for p in OrgPermission.values if p != door.permission and not _implies(p, door.permission)]
    client = _staff(world, login, others)
    if not any(_implies(p, door.permission) for p in OrgPermission.values if p in others) and (
        door.permission.endswith("_view") or door.permission == OrgPermission.ACCOUNT_MANAGE
    ):
        assert client.get(door.page(org_objects)).status_code in (403, 404)
    method, path, body = door.write(org_objects)
    assert _call(client, method, path, body).status_code in (403, 404)
    if door.permission.endswith("_view") or door.permission == OrgPermission.ACCOUNT_MANAGE:
        listed = client.get(door.api_list)
        assert listed.status_code in (403, 404) or _count(listed) == 0


@pytest.mark.parametrize("door", DOORS, ids=[d.permission for d in DOORS])
def test_org_staff_with_the_permission_passes_on_page_and_api(
    world: Any, login: Any, org_objects: dict[str, Any], door: Door
) -> None:
    client = _staff(world, login, [door.permission])
    assert client.get(door.page(org_objects)).status_code == 200
    method, path, body = door.write(org_objects)
    response = _call(client, method, path, body)
    assert response.status_code == door.write_ok, response.content
    assert _count(client.get(door.api_list)) >= 1


def _implies(held: str, wanted: str) -> bool:
    """Write permissions that, by design, also let you see what you write."""
    from afterschool.accounts.choices import ORG_PERMISSION_IMPLIES

    return wanted in ORG_PERMISSION_IMPLIES.get(held, frozenset())


def test_edit_permissions_include_their_view(world: Any, login: Any, org_objects: dict[str, Any]) -> None:
    client = _staff(world, login, [OrgPermission.COURSE_EDIT, OrgPermission.TEACHER_EDIT])
    assert client.get(f"/courses/{org_objects['course'].pk}/").status_code == 200
    assert client.get(f"/api/v1/courses/teachers/{org_objects['teacher'].pk}").status_code == 200
    assert client.get(f"/courses/dispatches/{org_objects['dispatch'].pk}/").status_code == 404


def test_role_change_applies_on_next_request_through_org_roles(world: Any, login: Any, org_objects: Any) -> None:
    from afterschool.accounts.models import OrgRole, RoleMembership
    from afterschool.accounts.services import org_roles_assign

    user = UserFactory()
    membership = MembershipFactory(user=user, role="org_staff", organization=world.org_a, permissions=[])
    client = login(user)
    url = f"/api/v1/courses/teachers/{org_objects['teacher'].pk}"
    assert client.get(url).status_code == 404
    role = OrgRole.objects.create(organization=world.org_a, name="教务", permissions=[OrgPermission.TEACHER_VIEW])
    org_roles_assign(actor=world.actor("org_a"), membership=membership, roles=[role])
    assert client.get(url).status_code == 200
    org_roles_assign(actor=world.actor("org_a"), membership=RoleMembership.objects.get(pk=membership.pk), roles=[])
    assert client.get(url).status_code == 404
