"""Emergency contacts (应急联系人): phone format, pages, API, scoping, export."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import ValidationFailed
from afterschool.schools.models import EmergencyContact
from afterschool.schools.services import contacts as services
from afterschool.schools.tests.factories import EmergencyContactFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/schools"


def _json(client: Any, method: str, path: str, data: Any = None) -> Any:
    if method == "get":
        return client.get(f"{API}{path}")
    return getattr(client, method)(f"{API}{path}", data=json.dumps(data), content_type="application/json")


def _data(**overrides: Any) -> dict[str, Any]:
    return {"name": "张校长", "title": "安全副校长", "phone": "13800138000", "order": 1, "note": "", **overrides}


@pytest.mark.parametrize(
    "phone", ["13800138000", "010-62001234", "0755-82345678", "010-62001234-801", " 139 1234 5678 "]
)
def test_valid_phones_accepted(world: Any, phone: str) -> None:
    contact = services.contact_create(actor=world.actor("school_a"), data=_data(phone=phone))
    assert contact.phone == phone.replace(" ", "")


@pytest.mark.parametrize(
    "phone", ["12345", "1380013800", "23800138000", "62001234", "010-1234", "010 62001234x", "电话"]
)
def test_invalid_phones_refused_in_chinese(world: Any, phone: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.contact_create(actor=world.actor("school_a"), data=_data(phone=phone))
    assert "联系电话格式不正确" in exc.value.detail["phone"][0]


def test_contact_pages_create_edit_delete_and_order(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    form = {"name": "李主任", "title": "德育主任", "phone": "010-6200", "order": "2", "note": ""}
    response = client.post("/school/contacts/new/", form)
    assert response.status_code == 200 and "联系电话格式不正确" in response.content.decode()
    assert client.post("/school/contacts/new/", {**form, "phone": "010-62001234"}).status_code == 302
    EmergencyContactFactory(school=world.school_a, name="王校长", order=1)
    html = client.get("/school/contacts/").content.decode().split("<table", 1)[1]
    assert html.index("王校长") < html.index("李主任")
    contact = EmergencyContact.objects.get(name="李主任")
    assert client.post(f"/school/contacts/{contact.pk}/edit/", {**form, "phone": "13900001111"}).status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "13900001111"
    assert client.post(f"/school/contacts/{contact.pk}/delete/").status_code == 302
    assert AuditEvent.objects.filter(event="delete", object_type="schools.emergencycontact").exists()


def test_contact_export_and_search(world: Any, login: Any) -> None:
    EmergencyContactFactory(school=world.school_a, name="王校长", title="校长")
    EmergencyContactFactory(school=world.school_a, name="李医生", title="校医")
    EmergencyContactFactory(school=world.school_b, name="外校联系人")
    client = login(world.users["school_a"])
    html = client.get("/school/contacts/", {"q": "校医"}).content.decode()
    assert "李医生" in html and "王校长" not in html
    response = client.get("/school/contacts/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {"王校长", "李医生"}
    assert AuditEvent.objects.filter(event="export").exists()


def test_cross_school_contact_answers_404(world: Any, login: Any) -> None:
    contact = EmergencyContactFactory(school=world.school_a)
    other = login(world.users["school_b"])
    assert other.get(f"/school/contacts/{contact.pk}/").status_code == 404
    assert other.get(f"/school/contacts/{contact.pk}/edit/").status_code == 404
    assert _json(other, "get", f"/contacts/{contact.pk}").status_code == 404
    assert _json(other, "patch", f"/contacts/{contact.pk}", {"name": "x"}).status_code == 404
    assert login(world.users["bureau_b"]).get(f"/school/contacts/{contact.pk}/").status_code == 404


def test_bureau_reads_but_cannot_write_contacts(world: Any, login: Any) -> None:
    contact = EmergencyContactFactory(school=world.school_a)
    client = login(world.users["bureau_a"])
    assert client.get(f"/school/contacts/{contact.pk}/").status_code == 200
    assert client.get("/school/contacts/new/").status_code == 403
    assert _json(client, "delete", f"/contacts/{contact.pk}").status_code == 403


def test_api_contact_crud(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    bad = _json(client, "post", "/contacts", {"name": "张", "title": "校长", "phone": "123"})
    assert bad.status_code == 422 and "phone" in bad.json()["detail"]
    created = _json(client, "post", "/contacts", {"name": "张", "title": "校长", "phone": "010-62001234"})
    assert created.status_code == 201
    contact_id = created.json()["id"]
    assert _json(client, "get", "/contacts?q=校长").json()["count"] == 1
    assert _json(client, "patch", f"/contacts/{contact_id}", {"phone": "021-1234"}).status_code == 422
    assert _json(client, "patch", f"/contacts/{contact_id}", {"order": 5}).json()["order"] == 5
    assert _json(client, "delete", f"/contacts/{contact_id}").status_code == 204
