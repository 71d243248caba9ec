"""The Django admin saves through the tenancy services: validated, scoped and audited like any other writer."""

from __future__ import annotations

from typing import Any

import pytest

from afterschool.accounts.models import AuditEvent
from afterschool.tenancy.models import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(world: Any, login: Any) -> Any:
    user = world.users["system"]
    type(user).objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return login(user)


def _school_form(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "code": "2111089999", "name": "后台新建小学", "region": world.district_a.pk, "school_type": "primary",
        "nature": "public", "address": "", "longitude": "", "latitude": "", "contact_phone": "", "is_active": "on",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_admin_refusal_from_the_service_shows_on_the_form(world: Any, admin_client: Any) -> None:
    response = admin_client.post("/admin/tenancy/school/add/", _school_form(world, code="2112089999"))
    assert response.status_code == 200
    assert "省份代码" in response.content.decode()
    assert not School.objects.filter(name="后台新建小学").exists()


def test_admin_create_goes_through_the_service_and_is_audited(world: Any, admin_client: Any) -> None:
    response = admin_client.post("/admin/tenancy/school/add/", _school_form(world))
    assert response.status_code == 302
    school = School.objects.get(code="2111089999")
    assert (
        AuditEvent.objects.filter(event="create", object_type="tenancy.school", object_id=str(school.pk)).count() == 1
    )


def test_admin_delete_of_a_referenced_school_is_refused(world: Any, admin_client: Any) -> None:
    response = admin_client.post(f"/admin/tenancy/school/{world.school_a.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "不能删除" in page and "成功删除" not in page
    assert School.objects.filter(pk=world.school_a.pk).exists()


def test_admin_deletes_an_unreferenced_school_through_the_service(world: Any, admin_client: Any) -> None:
    from afterschool.tenancy.tests.factories import SchoolFactory

    school = SchoolFactory(region=world.district_a)
    response = admin_client.post(f"/admin/tenancy/school/{school.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not School.objects.filter(pk=school.pk).exists()
    assert AuditEvent.objects.filter(event="delete", object_type="tenancy.school", object_id=str(school.pk)).exists()
