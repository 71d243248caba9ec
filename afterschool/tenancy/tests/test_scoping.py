"""Cross-tenant isolation: another school's admin, another organization, another district get 404."""

from __future__ import annotations

import pytest

from afterschool.accounts.services import token_issue

pytestmark = pytest.mark.django_db


def _bearer(world, key):  # type: ignore[no-untyped-def]
    _, raw = token_issue(actor=world.actor(key), name="t", days=30)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize(
    ("viewer", "target", "kind"),
    [
        ("school_a", "school_a2", "school"),  # another school's admin, same district
        ("school_a", "school_b", "school"),
        ("bureau_a", "school_b", "school"),  # another district
        ("bureau_b", "school_a", "school"),
        ("org_a", "org_b", "organization"),  # another organization
        ("org_b", "org_a", "organization"),
        ("bureau_a", "org_b", "organization"),
        ("school_a", "org_b", "organization"),
    ],
)
def test_foreign_object_is_404_through_pages_and_api(world, login, viewer, target, kind):  # type: ignore[no-untyped-def]
    obj = getattr(world, target)
    client = login(world.users[viewer])
    plural = f"{kind}s" if kind == "school" else "organizations"
    assert client.get(f"/tenancy/{plural}/{obj.pk}/").status_code == 404
    assert client.get(f"/tenancy/{plural}/{obj.pk}/edit/").status_code in (403, 404)
    response = client.get(f"/api/v1/tenancy/{plural}/{obj.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    headers = _bearer(world, viewer)
    from django.test import Client

    response = Client().get(f"/api/v1/tenancy/{plural}/{obj.pk}", **headers)
    assert response.status_code == 404
    response = Client().patch(
        f"/api/v1/tenancy/{plural}/{obj.pk}", data={"name": "改名"}, content_type="application/json", **headers
    )
    assert response.status_code == 404
    obj.refresh_from_db()
    assert obj.name != "改名"


def test_own_objects_are_visible(world, login):  # type: ignore[no-untyped-def]
    assert login(world.users["school_a"]).get(f"/tenancy/schools/{world.school_a.pk}/").status_code == 200
    assert login(world.users["org_a"]).get(f"/tenancy/organizations/{world.org_a.pk}/").status_code == 200
    assert login(world.users["bureau_a"]).get(f"/tenancy/schools/{world.school_a2.pk}/").status_code == 200


def test_another_district_region_is_404(world, login):  # type: ignore[no-untyped-def]
    client = login(world.users["bureau_a"])
    assert client.get(f"/tenancy/regions/{world.district_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/tenancy/regions/{world.district_b.pk}").status_code == 404
    assert client.get(f"/api/v1/tenancy/regions/{world.district_a.pk}").status_code == 200


def test_lists_contain_only_own_tenant(world, login):  # type: ignore[no-untyped-def]
    data = login(world.users["bureau_a"]).get("/api/v1/tenancy/schools").json()
    assert {s["code"] for s in data["items"]} == {world.school_a.code, world.school_a2.code}
    data = login(world.users["school_b"]).get("/api/v1/tenancy/schools").json()
    assert [s["code"] for s in data["items"]] == [world.school_b.code]
    data = login(world.users["org_a"]).get("/api/v1/tenancy/organizations").json()
    assert [o["id"] for o in data["items"]] == [world.org_a.pk]
    data = login(world.users["system"]).get("/api/v1/tenancy/schools").json()
    assert data["count"] == 3


def test_get_scoped_or_404_answers_not_found_for_ids_beyond_the_databases_integers(world):  # type: ignore[no-untyped-def]
    from afterschool.core.errors import NotFound
    from afterschool.tenancy.models import Partnership
    from afterschool.tenancy.scoping import get_scoped_or_404

    actor = world.actor("system")
    for value in (2**63, -(2**63) - 1, str(2**70), 220546496420496610615623680):
        with pytest.raises(NotFound):
            get_scoped_or_404(Partnership.objects.all(), actor, pk=1, school_id=value)
    assert get_scoped_or_404(Partnership.objects.all(), actor, school_id=world.school_a.pk).school == world.school_a
