"""Students, guardians and staff: rules of the services, the pages and the API, and who sees whom."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from afterschool.accounts.models import AuditEvent, RoleMembership, User
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.schools.models import Guardian, Staff, Student, StudentGuardian
from afterschool.schools.services import people as services
from afterschool.schools.tests.factories import (
    GradeFactory,
    GuardianFactory,
    SchoolClassFactory,
    StaffFactory,
    StudentFactory,
    StudentGuardianFactory,
    TimetableEntryFactory,
    make_id_number,
    make_mobile,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/schools"


def _post(client: Client, path: str, data: Any) -> Any:
    return client.post(f"{API}{path}", data=json.dumps(data), content_type="application/json")


def _patch(client: Client, path: str, data: Any) -> Any:
    return client.patch(f"{API}{path}", data=json.dumps(data), content_type="application/json")


@pytest.fixture
def setup(world: Any) -> Any:
    """School A: grade 3 with classes 1 and 2, one student; school B: one student."""

    class S:
        grade_a = GradeFactory(school=world.school_a, level=3, name="三年级")
        class_a = SchoolClassFactory(grade=grade_a, name="1班")
        class_a2 = SchoolClassFactory(grade=grade_a, name="2班")
        grade_a4 = GradeFactory(school=world.school_a, level=4, name="四年级")
        class_a4 = SchoolClassFactory(grade=grade_a4, name="1班")
        student_a = StudentFactory(school_class=class_a, name="张小明", student_number="G001")
        grade_b = GradeFactory(school=world.school_b, level=3, name="三年级")
        class_b = SchoolClassFactory(grade=grade_b, name="1班")
        student_b = StudentFactory(school_class=class_b, name="李小红", student_number="G901")

    return S


def _student_data(setup: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "student_number": "G100",
        "name": "王小华",
        "gender": "female",
        "birth_date": dt.date(2017, 3, 1),
        "grade": setup.grade_a,
        "school_class": setup.class_a,
        "id_number": make_id_number(77),
    }
    data.update(overrides)
    return data


# --- student rules -------------------------------------------------------------------------------


def test_school_admin_creates_student_in_own_school_whatever_the_input_says(world: Any, setup: Any) -> None:
    student = services.student_create(actor=world.actor("school_a"), data=_student_data(setup, school=world.school_b))
    assert student.school_id == world.school_a.pk
    assert student.id_number == make_id_number(77)
    assert AuditEvent.objects.filter(event="create", object_type="schools.student", object_id=str(student.pk)).exists()


def test_student_number_is_unique_per_school_but_not_across_schools(world: Any, setup: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.student_create(actor=world.actor("school_a"), data=_student_data(setup, student_number="G001"))
    assert "student_number" in exc.value.detail
    # No ID number: the factory's ID numbers follow the pk, which on PostgreSQL may land on make_id_number(77).
    data = _student_data(setup, student_number="G001", grade=setup.grade_b, school_class=setup.class_b, id_number="")
    assert services.student_create(actor=world.actor("school_b"), data=data).school_id == world.school_b.pk


def test_class_must_belong_to_the_grade(world: Any, setup: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.student_create(actor=world.actor("school_a"), data=_student_data(setup, school_class=setup.class_a4))
    assert exc.value.detail["school_class"] == ["班级不属于所选年级"]


def test_grade_and_class_of_another_school_are_refused(world: Any, setup: Any) -> None:
    data = _student_data(setup, grade=setup.grade_b, school_class=setup.class_b)
    with pytest.raises(ValidationFailed) as exc:
        services.student_create(actor=world.actor("school_a"), data=data)
    assert set(exc.value.detail) >= {"grade", "school_class"}


@pytest.mark.parametrize("bad", ["11010820170301007", "110108201703010070", "110108201702300071"])
def test_invalid_id_number_is_refused(world: Any, setup: Any, bad: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.student_create(actor=world.actor("school_a"), data=_student_data(setup, id_number=bad))
    assert "id_number" in exc.value.detail


def test_birth_date_must_match_the_id_number(world: Any, setup: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.student_create(
            actor=world.actor("school_a"), data=_student_data(setup, birth_date=dt.date(2017, 3, 2))
        )
    assert "birth_date" in exc.value.detail


def test_birth_date_is_taken_from_the_id_number_when_left_blank(world: Any, setup: Any) -> None:
    student = services.student_create(actor=world.actor("school_a"), data=_student_data(setup, birth_date=None))
    assert student.birth_date == dt.date(2017, 3, 1)


def test_id_number_is_unique_per_school(world: Any, setup: Any) -> None:
    taken = setup.student_a.id_number
    with pytest.raises(ValidationFailed) as exc:
        services.student_create(
            actor=world.actor("school_a"), data=_student_data(setup, id_number=taken, birth_date=None)
        )
    assert exc.value.detail["id_number"] == ["本校已有该身份证号的学生"]
    data = _student_data(setup, id_number=taken, birth_date=None, grade=setup.grade_b, school_class=setup.class_b)
    services.student_create(actor=world.actor("school_b"), data=data)


def test_update_audits_the_id_number_change_masked(world: Any, setup: Any) -> None:
    new = make_id_number(88)
    services.student_update(actor=world.actor("school_a"), student=setup.student_a, data={"id_number": new})
    setup.student_a.refresh_from_db()
    assert setup.student_a.id_number == new
    row = AuditEvent.objects.filter(event="update", object_id=str(setup.student_a.pk)).latest("id")
    assert new not in json.dumps(row.detail)
    assert row.detail["changes"]["id_number"][1] == new[:6] + "********" + new[-4:]


def test_bureau_and_teacher_cannot_write_students(world: Any, setup: Any) -> None:
    for key in ("bureau_a", "teacher_a"):
        with pytest.raises((PermissionDenied,)):
            services.student_create(actor=world.actor(key), data=_student_data(setup))


# --- guardians -----------------------------------------------------------------------------------


def test_adding_a_guardian_creates_a_parent_account_that_must_change_password(world: Any, setup: Any) -> None:
    mobile = make_mobile(5001)
    link, initial = services.guardian_add(
        actor=world.actor("school_a"), student=setup.student_a, name="张爸爸", mobile=mobile, relation="father"
    )
    assert initial
    user = link.guardian.user
    assert user is not None and user.username == mobile and user.mobile == mobile
    assert user.must_change_password and user.check_password(initial)
    assert RoleMembership.objects.filter(user=user, role="parent", school=world.school_a, is_active=True).exists()
    assert link.is_primary  # the first guardian is the primary contact


def test_same_mobile_is_the_same_guardian_and_user_across_schools(world: Any, setup: Any) -> None:
    mobile = make_mobile(5002)
    link_a, initial_a = services.guardian_add(
        actor=world.actor("school_a"), student=setup.student_a, name="共同家长", mobile=mobile, relation="mother"
    )
    link_b, initial_b = services.guardian_add(
        actor=world.actor("school_b"), student=setup.student_b, name="共同家长", mobile=mobile, relation="mother"
    )
    assert initial_a and initial_b is None
    assert link_a.guardian_id == link_b.guardian_id
    assert Guardian.objects.count() == 1
    assert User.objects.filter(username=mobile).count() == 1
    assert set(link_a.guardian.students.values_list("pk", flat=True)) == {setup.student_a.pk, setup.student_b.pk}


def test_existing_user_with_that_mobile_is_linked_and_gets_the_parent_role(world: Any, setup: Any) -> None:
    teacher = world.users["teacher_a"]
    teacher.set_mobile(make_mobile(5003))
    teacher.save()
    link, initial = services.guardian_add(
        actor=world.actor("school_a"),
        student=setup.student_a,
        name="老师家长",
        mobile=make_mobile(5003),
        relation="father",
    )
    assert initial is None
    assert link.guardian.user == teacher
    assert set(teacher.memberships.values_list("role", flat=True)) == {"teacher", "parent"}


def test_linking_the_same_guardian_twice_is_refused(world: Any, setup: Any) -> None:
    actor = world.actor("school_a")
    services.guardian_add(actor=actor, student=setup.student_a, name="甲", mobile=make_mobile(5004), relation="father")
    with pytest.raises(Conflict):
        services.guardian_add(
            actor=actor, student=setup.student_a, name="甲", mobile=make_mobile(5004), relation="father"
        )


def test_bad_guardian_input_is_refused_per_field(world: Any, setup: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.guardian_add(
            actor=world.actor("school_a"), student=setup.student_a, name=" ", mobile="12345", relation="uncle"
        )
    assert set(exc.value.detail) == {"name", "mobile", "relation"}


def test_the_last_guardian_cannot_be_removed_but_another_can(world: Any, setup: Any) -> None:
    actor = world.actor("school_a")
    first, _ = services.guardian_add(
        actor=actor, student=setup.student_a, name="甲", mobile=make_mobile(5005), relation="father"
    )
    with pytest.raises(Conflict) as exc:
        services.guardian_remove(actor=actor, link=first)
    assert exc.value.code == "last_guardian"
    second, _ = services.guardian_add(
        actor=actor, student=setup.student_a, name="乙", mobile=make_mobile(5006), relation="mother"
    )
    services.guardian_remove(actor=actor, link=first)
    assert list(StudentGuardian.objects.filter(student=setup.student_a)) == [second]
    second.refresh_from_db()
    assert second.is_primary
    assert not Guardian.objects.filter(pk=first.guardian_id).exists()  # no child left: the record goes
    assert AuditEvent.objects.filter(event="delete", object_type="schools.studentguardian").exists()


def test_another_school_cannot_remove_a_guardian_link(world: Any, setup: Any) -> None:
    link = StudentGuardianFactory(student=setup.student_a)
    StudentGuardianFactory(student=setup.student_a)
    with pytest.raises(Exception) as exc:
        services.guardian_remove(actor=world.actor("school_b"), link=link)
    assert exc.value.__class__.__name__ == "NotFound"


# --- staff ---------------------------------------------------------------------------------------


def test_staff_with_mobile_gets_a_teacher_account_in_the_school(world: Any) -> None:
    staff, initial = services.staff_create(
        actor=world.actor("school_a"),
        data={"employee_number": "T900", "name": "赵老师", "mobile": make_mobile(6001), "roles": ["teacher", "patrol"]},
    )
    assert initial and staff.user is not None
    assert staff.user.must_change_password
    assert RoleMembership.objects.filter(user=staff.user, role="teacher", school=world.school_a).exists()
    assert staff.roles == ["patrol", "teacher"]


def test_staff_without_mobile_gets_no_account(world: Any) -> None:
    staff, initial = services.staff_create(
        actor=world.actor("school_a"), data={"employee_number": "T901", "name": "钱老师"}
    )
    assert initial is None and staff.user is None


def test_staff_with_mobile_of_an_existing_user_links_it(world: Any) -> None:
    parent = world.users["parent"]
    parent.set_mobile(make_mobile(6002))
    parent.save()
    staff, initial = services.staff_create(
        actor=world.actor("school_a"), data={"employee_number": "T902", "name": "孙老师", "mobile": make_mobile(6002)}
    )
    assert initial is None and staff.user == parent
    assert parent.memberships.filter(role="teacher", school=world.school_a).exists()


def test_employee_number_unique_per_school_and_mobile_and_roles_validated(world: Any) -> None:
    StaffFactory(school=world.school_a, employee_number="T903")
    with pytest.raises(ValidationFailed) as exc:
        services.staff_create(
            actor=world.actor("school_a"),
            data={"employee_number": "T903", "name": "周", "mobile": "123", "roles": ["boss"]},
        )
    assert set(exc.value.detail) == {"employee_number", "mobile", "roles"}


def test_deleting_referenced_staff_clears_the_references_and_is_audited(world: Any, setup: Any) -> None:
    staff = StaffFactory(school=world.school_a)
    setup.class_a.head_teacher = staff
    setup.class_a.save()
    entry = TimetableEntryFactory(school_class=setup.class_a, teacher=staff)
    services.staff_delete(actor=world.actor("school_a"), staff=staff)
    setup.class_a.refresh_from_db()
    entry.refresh_from_db()
    assert setup.class_a.head_teacher is None and entry.teacher is None
    row = AuditEvent.objects.get(event="delete", object_type="schools.staff")
    assert row.detail == {"head_of": 1, "timetable": 1}


# --- pages ---------------------------------------------------------------------------------------


def test_student_list_page_searches_filters_and_pages(world: Any, setup: Any, login: Any) -> None:
    StudentFactory(school_class=setup.class_a2, name="张三丰", student_number="G002", gender="female")
    client = login(world.users["school_a"])
    html = client.get("/school/students/", {"q": "张"}).content.decode()
    assert "张小明" in html and "张三丰" in html and "李小红" not in html
    html = client.get("/school/students/", {"school_class": setup.class_a2.pk}).content.decode()
    assert "张三丰" in html and "张小明" not in html
    html = client.get("/school/students/", {"gender": "female", "q": "G00"}).content.decode()
    assert "张三丰" in html and "张小明" not in html
    html = client.get("/school/students/", {"page_size": 1}).content.decode()
    assert "第 1 / 2 页" in html
    assert client.get("/school/students/", {"is_active": "0"}).content.decode().count("张") == 0


def test_student_create_and_edit_pages(world: Any, setup: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    form = {
        "student_number": "G200",
        "name": "页面学生",
        "gender": "male",
        "birth_date": "",
        "grade": setup.grade_a.pk,
        "school_class": setup.class_a.pk,
        "id_number": make_id_number(201),
        "is_active": "on",
    }
    response = client.post("/school/students/new/", form)
    assert response.status_code == 302, response.content.decode()
    student = Student.objects.get(student_number="G200")
    assert student.birth_date == dt.date(2017, 3, 1)
    edit = client.get(f"/school/students/{student.pk}/edit/").content.decode()
    assert make_id_number(201) not in edit  # never pre-filled in clear
    form.update(name="改名学生", id_number="")
    assert client.post(f"/school/students/{student.pk}/edit/", form).status_code == 302
    student.refresh_from_db()
    assert student.name == "改名学生" and student.id_number == make_id_number(201)
    form.update(school_class=setup.class_a4.pk)
    response = client.post(f"/school/students/{student.pk}/edit/", form)
    assert response.status_code == 200 and "班级不属于所选年级" in response.content.decode()


def test_student_delete_page_confirms_then_deletes_and_audits(world: Any, setup: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    pk = setup.student_a.pk
    assert "确认删除" in client.get(f"/school/students/{pk}/delete/").content.decode()
    assert client.post(f"/school/students/{pk}/delete/").status_code == 302
    assert not Student.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(event="delete", object_type="schools.student", object_id=str(pk)).exists()


def test_guardian_add_page_shows_initial_password_once(world: Any, setup: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    url = f"/school/students/{setup.student_a.pk}/guardians/add/"
    response = client.post(url, {"name": "页面家长", "mobile": make_mobile(7001), "relation": "mother"})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="initial-password"' in html
    detail = client.get(f"/school/students/{setup.student_a.pk}/").content.decode()
    assert "页面家长" in detail and "139****7001" in detail and make_mobile(7001) not in detail
    assert 'data-testid="initial-password"' not in detail


def test_guardian_remove_page_refuses_the_last_one_with_reason(world: Any, setup: Any, login: Any) -> None:
    link = StudentGuardianFactory(student=setup.student_a)
    client = login(world.users["school_a"])
    response = client.post(f"/school/students/{setup.student_a.pk}/guardians/{link.pk}/remove/")
    assert response.status_code == 409
    assert "至少须保留一位监护人" in response.content.decode()


def test_staff_pages_create_shows_password_filter_and_deactivate(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    response = client.post(
        "/school/staff/new/",
        {
            "employee_number": "T300",
            "name": "页面老师",
            "mobile": make_mobile(7002),
            "subjects": "数学",
            "roles": ["teacher"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200 and 'data-testid="initial-password"' in response.content.decode()
    StaffFactory(school=world.school_a, name="语文老师", subjects="语文", roles=["head_teacher"])
    staff = Staff.objects.get(employee_number="T300")
    html = client.get("/school/staff/", {"role": "teacher"}).content.decode()
    assert "页面老师" in html and "语文老师" not in html
    html = client.get("/school/staff/", {"subject": "语文"}).content.decode()
    assert "语文老师" in html and "页面老师" not in html
    confirm = client.get(f"/school/staff/{staff.pk}/delete/").content.decode()
    assert "改为停用" in confirm and "确认删除" in confirm
    assert client.post(f"/school/staff/{staff.pk}/deactivate/").status_code == 302
    staff.refresh_from_db()
    assert staff.is_active is False


def test_bureau_reads_pages_but_gets_403_on_writes(world: Any, setup: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    assert client.get(f"/school/students/{setup.student_a.pk}/").status_code == 200
    assert client.get("/school/students/new/").status_code == 403
    assert client.post(f"/school/students/{setup.student_a.pk}/delete/").status_code == 403
    guardian_url = f"/school/students/{setup.student_a.pk}/guardians/add/"
    assert client.post(guardian_url, {"name": "x", "mobile": make_mobile(1), "relation": "father"}).status_code == 403
    assert Student.objects.filter(pk=setup.student_a.pk).exists()


@pytest.mark.parametrize("key", ["school_b", "school_a2", "bureau_b"])
def test_other_tenants_get_404_on_student_and_staff_pages(world: Any, setup: Any, login: Any, key: str) -> None:
    staff = StaffFactory(school=world.school_a)
    link = StudentGuardianFactory(student=setup.student_a)
    client = login(world.users[key])
    for url in (
        f"/school/students/{setup.student_a.pk}/",
        f"/school/staff/{staff.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    if key != "bureau_b":
        assert client.get(f"/school/students/{setup.student_a.pk}/edit/").status_code == 404
        assert client.post(f"/school/staff/{staff.pk}/delete/").status_code == 404
        remove = f"/school/students/{setup.student_a.pk}/guardians/{link.pk}/remove/"
        assert client.post(remove).status_code == 404
    assert "张小明" not in client.get("/school/students/").content.decode()


def test_teacher_and_parent_cannot_open_the_people_pages(world: Any, setup: Any, login: Any) -> None:
    for key in ("teacher_a", "parent", "org_a"):
        assert login(world.users[key]).get("/school/students/").status_code == 403


# --- API -----------------------------------------------------------------------------------------


def test_api_student_crud(world: Any, setup: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    payload = {
        "student_number": "G300",
        "name": "接口学生",
        "gender": "male",
        "grade_id": setup.grade_a.pk,
        "school_class_id": setup.class_a.pk,
        "id_number": make_id_number(301),
        "school_id": world.school_b.pk,
    }
    response = _post(client, "/students", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["school_id"] == world.school_a.pk
    assert body["id_number_masked"] == "110108********" + make_id_number(301)[-4:]
    assert "id_number" not in body
    pk = body["id"]
    assert _patch(client, f"/students/{pk}", {"name": "新名字"}).json()["name"] == "新名字"
    assert _patch(client, f"/students/{pk}", {"name": None}).status_code == 422
    bad = _patch(client, f"/students/{pk}", {"school_class_id": setup.class_b.pk})
    assert bad.status_code == 422 and "school_class_id" in bad.json()["detail"]
    assert client.delete(f"{API}/students/{pk}").status_code == 204
    assert not Student.objects.filter(pk=pk).exists()


def test_api_student_list_filters_and_pages(world: Any, setup: Any, login: Any) -> None:
    StudentFactory(school_class=setup.class_a2, name="第二个", student_number="G003", is_active=False)
    client = login(world.users["school_a"])
    body = client.get(f"{API}/students", {"page_size": 1}).json()
    assert body["count"] == 2 and body["num_pages"] == 2 and len(body["items"]) == 1
    assert [s["name"] for s in client.get(f"{API}/students", {"is_active": "false"}).json()["items"]] == ["第二个"]
    assert [s["name"] for s in client.get(f"{API}/students", {"grade": setup.grade_a4.pk}).json()["items"]] == []
    assert [s["name"] for s in client.get(f"{API}/students", {"q": "G001"}).json()["items"]] == ["张小明"]


def test_api_guardians_add_list_remove(world: Any, setup: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    path = f"/students/{setup.student_a.pk}/guardians"
    first = _post(client, path, {"name": "接口家长", "mobile": make_mobile(8001), "relation": "father"})
    assert first.status_code == 201, first.content
    assert first.json()["initial_password"] and first.json()["username"] == make_mobile(8001)
    assert first.json()["guardian"]["mobile_masked"] == "139****8001"
    second = _post(client, path, {"name": "接口家长二", "mobile": make_mobile(8002), "relation": "mother"})
    listed = client.get(f"{API}{path}").json()
    assert [g["guardian"]["name"] for g in listed] == ["接口家长", "接口家长二"]
    assert make_mobile(8001) not in json.dumps(listed)
    assert client.delete(f"{API}{path}/{first.json()['id']}").status_code == 204
    last = client.delete(f"{API}{path}/{second.json()['id']}")
    assert last.status_code == 409 and last.json()["code"] == "last_guardian"


def test_api_staff_crud_and_filters(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    response = _post(
        client,
        "/staff",
        {
            "employee_number": "T400",
            "name": "接口老师",
            "mobile": make_mobile(8101),
            "subjects": "科学",
            "roles": ["patrol"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["initial_password"] and body["mobile_masked"] == "139****8101" and body["user_id"]
    StaffFactory(school=world.school_a, name="别人", roles=["teacher"])
    assert [s["name"] for s in client.get(f"{API}/staff", {"role": "patrol"}).json()["items"]] == ["接口老师"]
    assert [s["name"] for s in client.get(f"{API}/staff", {"subject": "科学"}).json()["items"]] == ["接口老师"]
    assert _patch(client, f"/staff/{body['id']}", {"is_active": False}).json()["is_active"] is False
    assert [s["name"] for s in client.get(f"{API}/staff", {"is_active": "true"}).json()["items"]] == ["别人"]
    assert client.delete(f"{API}/staff/{body['id']}").status_code == 204


def test_api_bureau_reads_but_cannot_write(world: Any, setup: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    assert client.get(f"{API}/students/{setup.student_a.pk}").status_code == 200
    assert client.get(f"{API}/students").json()["count"] == 1  # district A only
    assert client.delete(f"{API}/students/{setup.student_a.pk}").status_code == 403
    assert _patch(client, f"/students/{setup.student_a.pk}", {"name": "x"}).status_code == 403
    assert _post(client, "/staff", {"employee_number": "T1", "name": "x"}).status_code == 403
    assert (
        _post(
            client,
            f"/students/{setup.student_a.pk}/guardians",
            {"name": "x", "mobile": make_mobile(2), "relation": "father"},
        ).status_code
        == 403
    )


@pytest.mark.parametrize("key", ["school_b", "school_a2", "bureau_b", "teacher_a", "org_a"])
def test_api_other_tenants_get_404(world: Any, setup: Any, login: Any, key: str) -> None:
    staff = StaffFactory(school=world.school_a)
    link = StudentGuardianFactory(student=setup.student_a)
    client = login(world.users[key])
    assert client.get(f"{API}/students/{setup.student_a.pk}").status_code == 404
    assert client.get(f"{API}/students/{setup.student_a.pk}/guardians").status_code == 404
    assert client.get(f"{API}/staff/{staff.pk}").status_code == 404
    assert client.get(f"{API}/guardians/{link.guardian_id}").status_code == 404
    assert _patch(client, f"/students/{setup.student_a.pk}", {"name": "x"}).status_code == 404
    assert client.delete(f"{API}/staff/{staff.pk}").status_code == 404
    assert client.delete(f"{API}/students/{setup.student_a.pk}/guardians/{link.pk}").status_code == 404
    names = [s["name"] for s in client.get(f"{API}/students").json()["items"]]
    assert "张小明" not in names


def test_parent_sees_only_its_own_children(world: Any, setup: Any, login: Any) -> None:
    parent = world.users["parent"]
    guardian = GuardianFactory(user=parent)
    StudentGuardianFactory(student=setup.student_a, guardian=guardian)
    StudentGuardianFactory(student=setup.student_b, guardian=guardian)
    other_child = StudentFactory(school_class=setup.class_a)
    StudentGuardianFactory(student=other_child)
    client = login(parent)
    names = {s["name"] for s in client.get(f"{API}/students").json()["items"]}
    assert names == {"张小明", "李小红"}
    assert client.get(f"{API}/students/{other_child.pk}").status_code == 404
    assert client.get(f"{API}/guardians").json()["count"] == 1
    assert _patch(client, f"/students/{setup.student_a.pk}", {"name": "x"}).status_code == 403


def test_another_parent_gets_404_for_a_child_not_its_own(world: Any, setup: Any, login: Any) -> None:
    guardian = GuardianFactory(user=world.users["parent"])
    StudentGuardianFactory(student=setup.student_a, guardian=guardian)
    other = User.objects.create(username="parent2")
    RoleMembership.objects.create(user=other, role="parent")
    client = login(other)
    assert client.get(f"{API}/students/{setup.student_a.pk}").status_code == 404
    assert client.get(f"{API}/students").json()["count"] == 0
    assert client.get(f"{API}/guardians/{guardian.pk}").status_code == 404


def test_system_admin_writes_any_school_the_school_following_the_input(world: Any, setup: Any) -> None:
    data = _student_data(setup, grade=setup.grade_b, school_class=setup.class_b)
    assert services.student_create(actor=world.actor("system"), data=data).school_id == world.school_b.pk
    with pytest.raises(ValidationFailed) as exc:
        services.staff_create(actor=world.actor("system"), data={"employee_number": "T1", "name": "无校"})
    assert "school" in exc.value.detail
    staff, _ = services.staff_create(
        actor=world.actor("system"), data={"employee_number": "T1", "name": "有校", "school": world.school_b}
    )
    assert staff.school_id == world.school_b.pk
