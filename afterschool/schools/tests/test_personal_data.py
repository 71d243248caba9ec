"""Personal data of students, guardians and staff (GB/T 35273): sealed at rest, found by keyed index, shown
masked, revealed only with `view_personal_data` and always audited."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.db import connection
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent, RoleMembership
from afterschool.core.errors import PermissionDenied
from afterschool.schools.models import Guardian, Staff, Student
from afterschool.schools.selectors import people as selectors
from afterschool.schools.services import people as services
from afterschool.schools.tests.factories import (
    GradeFactory,
    SchoolClassFactory,
    StaffFactory,
    StudentFactory,
    StudentGuardianFactory,
    make_id_number,
    make_mobile,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/schools"
ID_A = make_id_number(123)
MOBILE_G = make_mobile(24681357)
MOBILE_S = make_mobile(13572468)


@pytest.fixture
def people(world: Any) -> Any:
    class P:
        school_class = SchoolClassFactory(grade=GradeFactory(school=world.school_a, level=2, name="二年级"))
        student = StudentFactory(school_class=school_class, name="王一", student_number="S001", id_number=ID_A)
        other = StudentFactory(school_class=school_class, name="王二", student_number="S002")
        link = StudentGuardianFactory(student=student, guardian__mobile=MOBILE_G, guardian__name="王家长")
        guardian = link.guardian
        staff = StaffFactory(school=world.school_a, name="刘老师", employee_number="E01", mobile=MOBILE_S)

    return P


def _grant_view_personal_data(world: Any, key: str) -> None:
    membership = RoleMembership.objects.get(user=world.users[key])
    membership.permissions = ["view_personal_data"]
    membership.save()


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def _xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


# --- at rest -------------------------------------------------------------------------------------


def test_database_holds_only_ciphertext_and_index(world: Any, people: Any) -> None:
    for table, column, pk, plain in (
        (Student._meta.db_table, "id_number_encrypted", people.student.pk, ID_A),
        (Guardian._meta.db_table, "mobile_encrypted", people.guardian.pk, MOBILE_G),
        (Staff._meta.db_table, "mobile_encrypted", people.staff.pk, MOBILE_S),
    ):
        raw = _raw(table, column, pk)
        assert raw.startswith("sm4gcm:") and plain not in raw
        index = _raw(table, column.replace("encrypted", "index"), pk)
        assert len(index) == 64 and plain not in index


def test_guardian_added_through_the_service_is_sealed_too(world: Any, people: Any) -> None:
    link, _ = services.guardian_add(
        actor=world.actor("school_a"), student=people.other, name="新家长", mobile=make_mobile(9001), relation="mother"
    )
    assert make_mobile(9001) not in _raw(Guardian._meta.db_table, "mobile_encrypted", link.guardian_id)


# --- exact look-up through the keyed index -------------------------------------------------------


def test_full_id_number_and_guardian_mobile_find_the_student(world: Any, people: Any) -> None:
    actor = world.actor("school_a")
    assert list(selectors.student_list(actor=actor, filters={"q": ID_A})) == [people.student]
    assert list(selectors.student_list(actor=actor, filters={"q": ID_A.lower()})) == [people.student]
    assert list(selectors.student_list(actor=actor, filters={"q": MOBILE_G})) == [people.student]
    assert list(selectors.student_list(actor=actor, filters={"q": ID_A[:10]})) == []  # no partial match on sealed data


def test_full_mobile_finds_staff_and_guardian(world: Any, people: Any) -> None:
    actor = world.actor("school_a")
    assert list(selectors.staff_list(actor=actor, filters={"q": MOBILE_S})) == [people.staff]
    assert list(selectors.guardian_list(actor=actor, filters={"q": MOBILE_G})) == [people.guardian]


def test_lookup_by_index_stays_inside_the_scope(world: Any, people: Any) -> None:
    assert list(selectors.student_list(actor=world.actor("school_b"), filters={"q": ID_A})) == []
    assert list(selectors.staff_list(actor=world.actor("school_b"), filters={"q": MOBILE_S})) == []


def test_api_search_by_full_id_number(world: Any, people: Any, login: Any) -> None:
    body = login(world.users["school_a"]).get(f"{API}/students", {"q": ID_A}).json()
    assert [s["name"] for s in body["items"]] == ["王一"]


# --- masked everywhere ---------------------------------------------------------------------------


def test_pages_show_masked_values_only(world: Any, people: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    pages = [
        client.get("/school/students/").content.decode(),
        client.get(f"/school/students/{people.student.pk}/").content.decode(),
        client.get("/school/staff/").content.decode(),
        client.get(f"/school/staff/{people.staff.pk}/").content.decode(),
    ]
    for html in pages:
        assert ID_A not in html and MOBILE_G not in html and MOBILE_S not in html
    assert ID_A[:6] + "********" + ID_A[-4:] in pages[0] and ID_A[:6] + "********" + ID_A[-4:] in pages[1]
    assert "139****1357" in pages[1]  # guardian
    assert "139****2468" in pages[2] and "139****2468" in pages[3]
    assert "查看完整信息" not in pages[1]  # no permission, no button


def test_api_shows_masked_values_only(world: Any, people: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    bodies = [
        client.get(f"{API}/students").content.decode(),
        client.get(f"{API}/students/{people.student.pk}").content.decode(),
        client.get(f"{API}/students/{people.student.pk}/guardians").content.decode(),
        client.get(f"{API}/guardians").content.decode(),
        client.get(f"{API}/staff").content.decode(),
        client.get(f"{API}/staff/{people.staff.pk}").content.decode(),
    ]
    for body in bodies:
        assert ID_A not in body and MOBILE_G not in body and MOBILE_S not in body
    assert json.loads(bodies[1])["id_number_masked"] == ID_A[:6] + "********" + ID_A[-4:]


def test_export_is_masked_by_default_and_audited(world: Any, people: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    response = client.get("/school/students/", {"export": "xlsx", "q": ID_A})
    assert response.status_code == 200
    rows = _xlsx_rows(response)
    assert rows[0][0] == "学籍号" and len(rows) == 2
    flat = json.dumps(rows, default=str)
    assert ID_A not in flat and MOBILE_G not in flat and "139****1357" in flat
    row = AuditEvent.objects.filter(event="export").latest("id")
    assert row.detail["what"] == "student" and row.detail["unmasked"] is False
    assert ID_A not in json.dumps(row.detail)  # the searched ID number is kept masked in the audit row
    staff_rows = _xlsx_rows(client.get("/school/staff/", {"export": "xlsx"}))
    assert staff_rows[1][2] == "139****2468"


def test_unmasked_export_needs_the_permission(world: Any, people: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    before = AuditEvent.objects.filter(event="export").count()
    assert client.get("/school/students/", {"export": "xlsx", "unmasked": "1"}).status_code == 403
    assert AuditEvent.objects.filter(event="export").count() == before
    assert AuditEvent.objects.filter(event="permission_denied").exists()
    assert "导出完整信息" not in client.get("/school/students/").content.decode()


def test_unmasked_export_with_the_permission_is_audited(world: Any, people: Any, login: Any) -> None:
    _grant_view_personal_data(world, "school_a")
    client = login(world.users["school_a"])
    assert "导出完整信息" in client.get("/school/students/").content.decode()
    flat = json.dumps(_xlsx_rows(client.get("/school/students/", {"export": "xlsx", "unmasked": "1"})), default=str)
    assert ID_A in flat and MOBILE_G in flat
    assert AuditEvent.objects.filter(event="export").latest("id").detail["unmasked"] is True
    staff = _xlsx_rows(client.get("/school/staff/", {"export": "xlsx", "unmasked": "1"}))
    assert staff[1][2] == MOBILE_S


# --- reveal --------------------------------------------------------------------------------------


def test_reveal_without_permission_is_refused_and_writes_no_view_row(world: Any, people: Any) -> None:
    actor = world.actor("school_a")
    with pytest.raises(PermissionDenied):
        services.student_reveal(actor=actor, student=people.student, field="id_number")
    with pytest.raises(PermissionDenied):
        services.guardian_reveal(actor=actor, guardian=people.guardian)
    with pytest.raises(PermissionDenied):
        services.staff_reveal(actor=actor, staff=people.staff)
    assert not AuditEvent.objects.filter(event="view_sensitive").exists()


def test_reveal_with_permission_returns_value_and_audits_the_field(world: Any, people: Any) -> None:
    _grant_view_personal_data(world, "school_a")
    actor = world.actor("school_a")
    assert services.student_reveal(actor=actor, student=people.student, field="id_number") == ID_A
    assert services.guardian_reveal(actor=actor, guardian=people.guardian) == MOBILE_G
    assert services.staff_reveal(actor=actor, staff=people.staff) == MOBILE_S
    rows = AuditEvent.objects.filter(event="view_sensitive").order_by("id")
    assert [(r.object_type, r.detail["field"]) for r in rows] == [
        ("schools.student", "id_number"),
        ("schools.guardian", "mobile"),
        ("schools.staff", "mobile"),
    ]
    assert all(ID_A not in json.dumps(r.detail) and MOBILE_G not in json.dumps(r.detail) for r in rows)


def test_system_admin_may_reveal(world: Any, people: Any) -> None:
    assert services.staff_reveal(actor=world.actor("system"), staff=people.staff) == MOBILE_S


def test_reveal_of_another_schools_person_is_404_even_with_permission(world: Any, people: Any) -> None:
    _grant_view_personal_data(world, "school_b")
    from afterschool.core.errors import NotFound

    with pytest.raises(NotFound):
        services.student_reveal(actor=world.actor("school_b"), student=people.student, field="id_number")


def test_reveal_page_button_shows_the_value_once(world: Any, people: Any, login: Any) -> None:
    _grant_view_personal_data(world, "school_a")
    client = login(world.users["school_a"])
    url = f"/school/students/{people.student.pk}/"
    assert "查看完整信息" in client.get(url).content.decode()
    html = client.post(f"{url}reveal/", {"field": "id_number"}).content.decode()
    assert ID_A in html and MOBILE_G not in html
    html = client.post(f"{url}reveal/", {"field": "mobile", "link": people.link.pk}).content.decode()
    assert MOBILE_G in html and ID_A not in html
    assert ID_A not in client.get(url).content.decode()  # once: a reload is masked again
    html = client.post(f"/school/staff/{people.staff.pk}/reveal/").content.decode()
    assert MOBILE_S in html
    assert AuditEvent.objects.filter(event="view_sensitive").count() == 3


def test_reveal_page_without_permission_is_403(world: Any, people: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    response = client.post(f"/school/students/{people.student.pk}/reveal/", {"field": "id_number"})
    assert response.status_code == 403 and ID_A not in response.content.decode()
    assert client.get(f"/school/students/{people.student.pk}/reveal/").status_code == 405


def test_api_reveal(world: Any, people: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    path = f"{API}/students/{people.student.pk}/reveal"
    denied = client.post(path, data=json.dumps({"field": "id_number"}), content_type="application/json")
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    _grant_view_personal_data(world, "school_a")
    ok = client.post(path, data=json.dumps({"field": "id_number"}), content_type="application/json")
    assert ok.json() == {"field": "id_number", "value": ID_A}
    wrong = client.post(path, data=json.dumps({"field": "mobile"}), content_type="application/json")
    assert wrong.status_code == 422
    guardian = client.post(
        f"{API}/guardians/{people.guardian.pk}/reveal",
        data=json.dumps({"field": "mobile"}),
        content_type="application/json",
    )
    assert guardian.json()["value"] == MOBILE_G
    staff = client.post(
        f"{API}/staff/{people.staff.pk}/reveal", data=json.dumps({"field": "mobile"}), content_type="application/json"
    )
    assert staff.json()["value"] == MOBILE_S
    assert AuditEvent.objects.filter(event="view_sensitive").count() == 3


def test_api_reveal_by_another_school_is_404(world: Any, people: Any, login: Any) -> None:
    _grant_view_personal_data(world, "school_b")
    client = login(world.users["school_b"])
    response = client.post(
        f"{API}/students/{people.student.pk}/reveal",
        data=json.dumps({"field": "id_number"}),
        content_type="application/json",
    )
    assert response.status_code == 404
