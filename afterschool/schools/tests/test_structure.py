"""Grades and classes: rules (head teacher of the same school, references), pages, API, scoping, export."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.schools.models import Grade, SchoolClass
from afterschool.schools.services import structure as services
from afterschool.schools.tests.factories import GradeFactory, SchoolClassFactory, StaffFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/schools"


def _json(client: Any, method: str, path: str, data: Any = None) -> Any:
    if method == "get":
        return client.get(f"{API}{path}")
    return getattr(client, method)(f"{API}{path}", data=json.dumps(data), content_type="application/json")


# --- services ---------------------------------------------------------------------------------------


def test_given_school_admin_when_creating_grade_then_own_school_and_audited(world: Any) -> None:
    grade = services.grade_create(actor=world.actor("school_a"), data={"name": "一年级", "level": 1})
    assert grade.school == world.school_a
    assert AuditEvent.objects.filter(event="create", object_type="schools.grade").exists()


def test_duplicate_grade_level_refused_with_chinese_message(world: Any) -> None:
    GradeFactory(school=world.school_a, level=1, name="一年级")
    with pytest.raises(ValidationFailed) as exc:
        services.grade_create(actor=world.actor("school_a"), data={"name": "新一年级", "level": 1})
    assert "年级序号" in exc.value.detail["level"][0]


def test_given_class_refers_to_grade_when_deleting_grade_then_refused(world: Any) -> None:
    school_class = SchoolClassFactory(grade=GradeFactory(school=world.school_a))
    with pytest.raises(Conflict) as exc:
        services.grade_delete(actor=world.actor("school_a"), grade=school_class.grade)
    assert exc.value.code == "in_use" and "班级" in exc.value.message
    assert Grade.objects.filter(pk=school_class.grade_id).exists()


def test_head_teacher_from_other_school_refused(world: Any) -> None:
    grade = GradeFactory(school=world.school_a)
    stranger = StaffFactory(school=world.school_b, name="外校老师")
    with pytest.raises(ValidationFailed) as exc:
        services.school_class_create(
            actor=world.actor("school_a"), data={"grade": grade, "name": "1班", "head_teacher": stranger}
        )
    assert "外校老师" in exc.value.detail["head_teacher"][0]


def test_grade_of_other_school_refused_for_class(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.school_class_create(
            actor=world.actor("school_a"), data={"grade": GradeFactory(school=world.school_b), "name": "1班"}
        )
    assert "grade" in exc.value.detail


def test_class_with_own_head_teacher_created(world: Any) -> None:
    grade = GradeFactory(school=world.school_a)
    teacher = StaffFactory(school=world.school_a)
    school_class = services.school_class_create(
        actor=world.actor("school_a"), data={"grade": grade, "name": "1班", "head_teacher": teacher}
    )
    assert school_class.school == world.school_a and school_class.head_teacher == teacher


def test_bureau_cannot_write_classes(world: Any) -> None:
    school_class = SchoolClassFactory(grade=GradeFactory(school=world.school_a))
    with pytest.raises(PermissionDenied):
        services.school_class_update(actor=world.actor("bureau_a"), school_class=school_class, data={"name": "9班"})


# --- pages --------------------------------------------------------------------------------------------


def test_school_admin_manages_grade_and_class_through_pages(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    assert client.post("/school/grades/new/", {"name": "三年级", "level": "3"}).status_code == 302
    grade = Grade.objects.get(school=world.school_a)
    teacher = StaffFactory(school=world.school_a, name="王老师")
    StaffFactory(school=world.school_b, name="外校老师")
    form_html = client.get("/school/classes/new/").content.decode()
    assert "王老师" in form_html and "外校老师" not in form_html
    response = client.post(
        "/school/classes/new/", {"grade": str(grade.pk), "name": "2班", "head_teacher": str(teacher.pk)}
    )
    assert response.status_code == 302
    school_class = SchoolClass.objects.get()
    assert (
        client.post(f"/school/classes/{school_class.pk}/edit/", {"grade": str(grade.pk), "name": "3班"}).status_code
        == 302
    )
    school_class.refresh_from_db()
    assert school_class.name == "3班" and school_class.head_teacher is None
    refused = client.post(f"/school/grades/{grade.pk}/delete/")
    assert refused.status_code == 409 and "班级" in refused.content.decode()
    assert client.post(f"/school/classes/{school_class.pk}/delete/").status_code == 302
    assert client.post(f"/school/grades/{grade.pk}/delete/").status_code == 302
    assert not Grade.objects.exists()


def test_class_list_search_filter_and_export(world: Any, login: Any) -> None:
    g1 = GradeFactory(school=world.school_a, level=1, name="一年级")
    g2 = GradeFactory(school=world.school_a, level=2, name="二年级")
    SchoolClassFactory(grade=g1, name="1班", head_teacher=StaffFactory(school=world.school_a, name="李老师"))
    SchoolClassFactory(grade=g2, name="5班")
    SchoolClassFactory(grade=GradeFactory(school=world.school_b), name="7班")
    client = login(world.users["school_a"])
    html = client.get("/school/classes/").content.decode()
    assert "一年级1班" in html and "二年级5班" in html and "7班" not in html
    assert "二年级5班" not in client.get("/school/classes/", {"grade": str(g1.pk)}).content.decode()
    html = client.get("/school/classes/", {"q": "李老师"}).content.decode()
    assert "一年级1班" in html and "二年级5班" not in html
    response = client.get("/school/classes/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("班级", "年级", "班主任", "学校") and len(rows) == 3
    assert rows[1] == ("一年级1班", "一年级", "李老师", "海淀实验小学")


def test_cross_school_class_and_grade_pages_answer_404(world: Any, login: Any) -> None:
    school_class = SchoolClassFactory(grade=GradeFactory(school=world.school_a))
    other = login(world.users["school_a2"])
    assert other.get(f"/school/classes/{school_class.pk}/").status_code == 404
    assert other.post(f"/school/classes/{school_class.pk}/delete/").status_code == 404
    assert other.get(f"/school/grades/{school_class.grade_id}/edit/").status_code == 404
    assert login(world.users["bureau_b"]).get(f"/school/classes/{school_class.pk}/").status_code == 404
    assert SchoolClass.objects.exists()


def test_bureau_reads_class_pages_but_gets_403_on_write(world: Any, login: Any) -> None:
    school_class = SchoolClassFactory(grade=GradeFactory(school=world.school_a))
    client = login(world.users["bureau_a"])
    assert client.get(f"/school/classes/{school_class.pk}/").status_code == 200
    assert client.get("/school/classes/new/").status_code == 403
    assert client.post(f"/school/classes/{school_class.pk}/delete/").status_code == 403


# --- API ----------------------------------------------------------------------------------------------


def test_api_grade_and_class_crud(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    grade = _json(client, "post", "/grades", {"name": "一年级", "level": 1})
    assert grade.status_code == 201
    grade_id = grade.json()["id"]
    teacher = StaffFactory(school=world.school_a, name="赵老师")
    created = _json(client, "post", "/classes", {"grade_id": grade_id, "name": "1班", "head_teacher_id": teacher.pk})
    assert created.status_code == 201, created.content
    assert created.json()["head_teacher_name"] == "赵老师"
    class_id = created.json()["id"]
    assert _json(client, "get", f"/classes?q=赵&grade={grade_id}").json()["count"] == 1
    patched = _json(client, "patch", f"/classes/{class_id}", {"head_teacher_id": None, "name": "2班"})
    assert patched.status_code == 200 and patched.json()["head_teacher_id"] is None
    refused = _json(client, "delete", f"/grades/{grade_id}")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert _json(client, "patch", f"/grades/{grade_id}", {"name": "小一"}).json()["name"] == "小一"
    assert _json(client, "delete", f"/classes/{class_id}").status_code == 204
    assert _json(client, "delete", f"/grades/{grade_id}").status_code == 204


def test_api_head_teacher_from_other_school_refused(world: Any, login: Any) -> None:
    grade = GradeFactory(school=world.school_a)
    stranger = StaffFactory(school=world.school_b)
    response = _json(
        login(world.users["school_a"]),
        "post",
        "/classes",
        {"grade_id": grade.pk, "name": "1班", "head_teacher_id": stranger.pk},
    )
    assert response.status_code == 422 and "head_teacher_id" in response.json()["detail"]
    # A system admin sees every staff member; the service still refuses the mismatch.
    response = _json(
        login(world.users["system"]),
        "post",
        "/classes",
        {"school_id": world.school_a.pk, "grade_id": grade.pk, "name": "1班", "head_teacher_id": stranger.pk},
    )
    assert response.status_code == 422 and "head_teacher" in response.json()["detail"]


def test_api_cross_school_class_answers_404_and_bureau_403(world: Any, login: Any) -> None:
    school_class = SchoolClassFactory(grade=GradeFactory(school=world.school_a))
    other = login(world.users["school_b"])
    assert _json(other, "get", f"/classes/{school_class.pk}").status_code == 404
    assert _json(other, "patch", f"/classes/{school_class.pk}", {"name": "x"}).status_code == 404
    assert _json(other, "delete", f"/grades/{school_class.grade_id}").status_code == 404
    bureau = login(world.users["bureau_a"])
    assert _json(bureau, "get", f"/classes/{school_class.pk}").status_code == 200
    assert _json(bureau, "patch", f"/classes/{school_class.pk}", {"name": "x"}).status_code == 403
    assert _json(login(world.users["bureau_b"]), "get", "/classes").json()["count"] == 0
