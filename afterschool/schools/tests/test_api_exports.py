"""The list exports are reachable through the API with the same scope, masking, permission and audit."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.accounts.services import token_issue
from afterschool.schools.tests.factories import StaffFactory, StudentFactory, VenueFactory

pytestmark = pytest.mark.django_db


def _bearer(world: Any, key: str) -> Client:
    _, raw = token_issue(actor=world.actor(key), name="export", days=7)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _rows(response: Any) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.parametrize(
    "entity", ["terms", "grades", "classes", "students", "guardians", "staff", "venues", "contacts"]
)
def test_every_entity_exports_to_xlsx_through_the_api(world: Any, entity: str) -> None:
    response = _bearer(world, "school_a").get(f"/api/v1/schools/exports/{entity}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert _rows(response)[0]  # the Chinese header row
    assert AuditEvent.objects.filter(event="export", username="school_a").exists()


def test_api_export_is_scoped_filtered_and_masked(world: Any) -> None:
    mine = StudentFactory(school_class__grade__school=world.school_a, name="本校学生")
    StudentFactory(school_class__grade__school=world.school_b, name="别校学生")
    VenueFactory(school=world.school_a, name="体育馆A")
    VenueFactory(school=world.school_a, name="美术室")
    rows = _rows(_bearer(world, "school_a").get("/api/v1/schools/exports/students"))
    cells = [str(c) for row in rows[1:] for c in row]
    assert "本校学生" in cells and "别校学生" not in cells
    assert mine.id_number not in cells and any("********" in c for c in cells)
    venues = _rows(_bearer(world, "school_a").get("/api/v1/schools/exports/venues", {"q": "体育"}))
    assert [r for r in venues[1:] if "体育馆A" in r] and not [r for r in venues[1:] if "美术室" in r]


def test_unmasked_api_export_needs_the_permission(world: Any) -> None:
    StaffFactory(school=world.school_a, mobile="13912340000")
    response = _bearer(world, "school_a").get("/api/v1/schools/exports/staff", {"unmasked": "1"})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_roles_without_the_list_cannot_export(world: Any) -> None:
    response = _bearer(world, "org_a").get("/api/v1/schools/exports/students")
    assert response.status_code == 403 and set(response.json()) == {"code", "message", "detail"}
    assert Client().get("/api/v1/schools/exports/students").status_code == 401
    assert _bearer(world, "school_a").get("/api/v1/schools/exports/unknown").status_code == 422
