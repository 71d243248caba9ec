"""Venues (场地): capacity rule, pages, API, scoping, export, delete."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import ValidationFailed
from afterschool.schools.models import Venue
from afterschool.schools.services import venues as services
from afterschool.schools.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/schools"


def _json(client: Any, method: str, path: str, data: Any = None) -> Any:
    if method == "get":
        return client.get(f"{API}{path}")
    return getattr(client, method)(f"{API}{path}", data=json.dumps(data), content_type="application/json")


@pytest.mark.parametrize("capacity", [0, -5])
def test_capacity_must_be_positive(world: Any, capacity: int) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.venue_create(actor=world.actor("school_a"), data={"name": "体育馆", "capacity": capacity})
    assert exc.value.detail == {"capacity": ["容量须大于 0"]}


def test_duplicate_venue_name_in_school_refused(world: Any) -> None:
    VenueFactory(school=world.school_a, name="体育馆")
    with pytest.raises(ValidationFailed):
        services.venue_create(actor=world.actor("school_a"), data={"name": "体育馆", "capacity": 30})
    assert services.venue_create(actor=world.actor("school_b"), data={"name": "体育馆", "capacity": 30}).pk


def test_venue_pages_create_edit_delete(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    data = {"name": "音乐教室", "location": "艺术楼 2 层", "capacity": "0", "kind": "music", "is_active": "on"}
    response = client.post("/school/venues/new/", data)
    assert response.status_code == 200 and "容量须大于 0" in response.content.decode()
    assert client.post("/school/venues/new/", {**data, "capacity": "45"}).status_code == 302
    venue = Venue.objects.get()
    assert venue.school == world.school_a and venue.kind == "music"
    assert client.post(f"/school/venues/{venue.pk}/edit/", {**data, "capacity": "50"}).status_code == 302
    venue.refresh_from_db()
    assert venue.capacity == 50 and venue.is_active
    assert client.post(f"/school/venues/{venue.pk}/delete/").status_code == 302
    assert not Venue.objects.exists()
    assert AuditEvent.objects.filter(event="delete", object_type="schools.venue").exists()


def test_venue_list_filters_and_export(world: Any, login: Any) -> None:
    VenueFactory(school=world.school_a, name="体育馆", kind="gym")
    VenueFactory(school=world.school_a, name="旧机房", kind="computer", is_active=False)
    VenueFactory(school=world.school_b, name="外校操场", kind="field")
    client = login(world.users["school_a"])

    def names(**params: str) -> set[str]:
        html = client.get("/school/venues/", params).content.decode()
        return set(re.findall(r'<a href="/school/venues/\d+/">([^<]+)</a>', html))

    assert names() == {"体育馆", "旧机房"}
    assert names(is_active="true") == {"体育馆"}
    assert names(is_active="false") == {"旧机房"}
    assert names(kind="computer") == {"旧机房"}
    assert names(q="体育") == {"体育馆"}
    response = client.get("/school/venues/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "场地名称" and {r[0] for r in rows[1:]} == {"体育馆", "旧机房"}


def test_cross_school_venue_answers_404_pages_and_api(world: Any, login: Any) -> None:
    venue = VenueFactory(school=world.school_a)
    other = login(world.users["school_a2"])
    assert other.get(f"/school/venues/{venue.pk}/").status_code == 404
    assert other.post(f"/school/venues/{venue.pk}/delete/").status_code == 404
    assert _json(other, "get", f"/venues/{venue.pk}").status_code == 404
    assert _json(other, "delete", f"/venues/{venue.pk}").status_code == 404
    assert login(world.users["bureau_b"]).get(f"/school/venues/{venue.pk}/").status_code == 404
    assert Venue.objects.exists()


def test_bureau_reads_region_venues_read_only(world: Any, login: Any) -> None:
    venue = VenueFactory(school=world.school_a)
    VenueFactory(school=world.school_b)
    client = login(world.users["bureau_a"])
    assert _json(client, "get", "/venues").json()["count"] == 1
    assert client.get(f"/school/venues/{venue.pk}/edit/").status_code == 403
    assert _json(client, "patch", f"/venues/{venue.pk}", {"capacity": 3}).status_code == 403
    assert (
        _json(client, "post", "/venues", {"name": "x", "capacity": 3, "school_id": world.school_a.pk}).status_code
        == 403
    )


def test_api_venue_crud(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    assert _json(client, "post", "/venues", {"name": "操场", "capacity": 0, "kind": "field"}).status_code == 422
    created = _json(client, "post", "/venues", {"name": "操场", "capacity": 200, "kind": "field"})
    assert created.status_code == 201 and created.json()["school_id"] == world.school_a.pk
    venue_id = created.json()["id"]
    assert _json(client, "get", "/venues?kind=field&is_active=true&q=操").json()["count"] == 1
    assert _json(client, "patch", f"/venues/{venue_id}", {"is_active": False}).json()["is_active"] is False
    assert _json(client, "get", "/venues?is_active=true").json()["count"] == 0
    assert _json(client, "delete", f"/venues/{venue_id}").status_code == 204


def test_system_admin_creates_venue_for_named_school(world: Any, login: Any) -> None:
    client = login(world.users["system"])
    created = _json(client, "post", "/venues", {"school_id": world.school_b.pk, "name": "礼堂", "capacity": 300})
    assert created.status_code == 201 and created.json()["school_id"] == world.school_b.pk
    assert _json(client, "post", "/venues", {"name": "礼堂2", "capacity": 300}).status_code == 422
