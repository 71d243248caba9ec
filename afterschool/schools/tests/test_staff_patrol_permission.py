"""A staff member's post 巡课 grants its teacher login the patrol permission (§5.2.3): adding the post opens the
patrol pages on the next request, removing it (or the staff member leaving) closes them."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from afterschool.accounts.models import RoleMembership
from afterschool.schools.models import Staff
from afterschool.schools.services import people as services
from afterschool.schools.tests.factories import StaffFactory, make_mobile

pytestmark = pytest.mark.django_db


def _permissions(user: Any, school: Any) -> list[str]:
    return list(RoleMembership.objects.get(user=user, role="teacher", school=school).permissions)


def test_adding_and_removing_the_patrol_post_grants_and_removes_the_permission_and_the_pages(
    world: Any, login: Any
) -> None:
    teacher = world.users["teacher_a"]
    staff = StaffFactory(school=world.school_a, user=teacher, name="王老师", roles=["teacher"])
    client = login(teacher)
    assert client.get(reverse("patrol:today")).status_code == 403
    assert client.get("/api/v1/patrol/today").status_code == 403

    services.staff_update(actor=world.actor("school_a"), staff=staff, data={"roles": ["teacher", "patrol"]})
    assert _permissions(teacher, world.school_a) == ["patrol"]
    # The same session: the membership is read again on the next request.
    assert client.get(reverse("patrol:today")).status_code == 200
    assert client.get("/api/v1/patrol/today").status_code == 200
    assert client.get(reverse("patrol:list")).status_code == 200

    services.staff_update(actor=world.actor("school_a"), staff=staff, data={"roles": ["teacher"]})
    assert _permissions(teacher, world.school_a) == []
    assert client.get(reverse("patrol:today")).status_code == 403
    assert client.get(reverse("patrol:list")).status_code == 403


def test_a_staff_member_leaving_loses_the_permission(world: Any, login: Any) -> None:
    teacher = world.users["teacher_a"]
    staff = StaffFactory(school=world.school_a, user=teacher, roles=["teacher"])
    services.staff_update(actor=world.actor("school_a"), staff=staff, data={"roles": ["patrol"]})
    assert login(teacher).get(reverse("patrol:today")).status_code == 200
    services.staff_update(actor=world.actor("school_a"), staff=staff, data={"is_active": False})
    assert _permissions(teacher, world.school_a) == []
    assert login(teacher).get(reverse("patrol:today")).status_code == 403


def test_a_new_staff_member_with_the_post_and_a_mobile_gets_a_login_that_may_patrol(world: Any, login: Any) -> None:
    staff, initial = services.staff_create(
        actor=world.actor("school_a"),
        data={"employee_number": "T950", "name": "巡课赵老师", "mobile": make_mobile(6950), "roles": ["patrol"]},
    )
    assert initial and staff.user is not None
    assert _permissions(staff.user, world.school_a) == ["patrol"]
    # Other permissions of the membership are kept when the post changes.
    membership = RoleMembership.objects.get(user=staff.user, role="teacher")
    membership.permissions = ["patrol", "view_personal_data"]
    membership.save()
    services.staff_update(
        actor=world.actor("school_a"), staff=Staff.objects.get(pk=staff.pk), data={"roles": ["teacher"]}
    )
    assert _permissions(staff.user, world.school_a) == ["view_personal_data"]
    staff.user.must_change_password = False
    staff.user.save()
    services.staff_update(
        actor=world.actor("school_a"), staff=Staff.objects.get(pk=staff.pk), data={"roles": ["patrol"]}
    )
    assert login(staff.user).get(reverse("patrol:today")).status_code == 200
