"""Guardians as an entity of their own: list, detail, edit (mobile re-sealed, never shared), delete (only once no
student in any school links to it), each scoped to the actor."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent, RoleMembership
from afterschool.core.errors import Conflict, NotFound, PermissionDenied
from afterschool.schools.models import Guardian
from afterschool.schools.selectors import people as selectors
from afterschool.schools.services import people as services
from afterschool.schools.tests.factories import (
    GradeFactory,
    GuardianFactory,
    SchoolClassFactory,
    StudentFactory,
    StudentGuardianFactory,
    make_mobile,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/schools"
MOBILE_MOM = make_mobile(31415926)
MOBILE_DAD = make_mobile(27182818)
MOBILE_NEW = make_mobile(16180339)


@pytest.fixture
def family(world: Any) -> Any:
    """School A: 张小明 with mother 张妈妈 (no account) and father 张爸爸 (parent account);
    school B: 李小红 whose mother 李妈妈 is also 张小明's aunt-guardian in school A (two schools)."""

    class F:
        class_a = SchoolClassFactory(grade=GradeFactory(school=world.school_a, level=3, name="三年级"), name="1班")
        class_b = SchoolClassFactory(grade=GradeFactory(school=world.school_b, level=3, name="三年级"), name="1班")
        student_a = StudentFactory(school_class=class_a, name="张小明")
        student_b = StudentFactory(school_class=class_b, name="李小红")
        mom = GuardianFactory(name="张妈妈", mobile=MOBILE_MOM)
        dad = GuardianFactory(name="张爸爸", mobile=MOBILE_DAD, user=world.users["parent"])
        shared = GuardianFactory(name="李妈妈")
        mom_link = StudentGuardianFactory(student=student_a, guardian=mom, relation="mother")
        dad_link = StudentGuardianFactory(student=student_a, guardian=dad, relation="father", is_primary=False)
        shared_a = StudentGuardianFactory(student=student_a, guardian=shared, relation="other", is_primary=False)
        shared_b = StudentGuardianFactory(student=student_b, guardian=shared, relation="mother")
        orphan = GuardianFactory(name="孤立家长")

    return F


def _patch(client: Client, path: str, data: Any) -> Any:
    return client.patch(f"{API}{path}", data=json.dumps(data), content_type="application/json")


def _xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _names(html: str, family: Any) -> set[str]:
    return {g.name for g in (family.mom, family.dad, family.shared, family.orphan) if g.name in html}


# --- list ----------------------------------------------------------------------------------------


def test_given_school_admin_when_listing_then_only_guardians_of_its_students_show(
    world: Any, family: Any, login: Any
) -> None:
    html = login(world.users["school_a"]).get("/school/guardians/").content.decode()
    assert _names(html, family) == {"张妈妈", "张爸爸", "李妈妈"}
    html = login(world.users["school_b"]).get("/school/guardians/").content.decode()
    assert _names(html, family) == {"李妈妈"}


def test_given_guardians_when_searching_by_name_or_full_mobile_then_matches_only(
    world: Any, family: Any, login: Any
) -> None:
    client = login(world.users["school_a"])
    assert _names(client.get("/school/guardians/", {"q": "张"}).content.decode(), family) == {"张妈妈", "张爸爸"}
    table = client.get("/school/guardians/", {"q": MOBILE_MOM}, HTTP_HX_REQUEST="true").content.decode()
    rows = table[table.index("<tbody>") :]  # the search box and export link echo what was typed, rows never do
    assert _names(rows, family) == {"张妈妈"} and MOBILE_MOM not in rows and "139****5926" in rows
    # a part of a mobile is not a search key: only the full number goes through the keyed index
    assert _names(client.get("/school/guardians/", {"q": MOBILE_MOM[:7]}).content.decode(), family) == set()


def test_given_guardians_when_filtering_by_relation_or_account_then_filtered(
    world: Any, family: Any, login: Any
) -> None:
    client = login(world.users["school_a"])
    assert _names(client.get("/school/guardians/", {"relation": "father"}).content.decode(), family) == {"张爸爸"}
    # 李妈妈 is a mother only in school B: in school A she is "other"
    assert _names(client.get("/school/guardians/", {"relation": "mother"}).content.decode(), family) == {"张妈妈"}
    assert _names(client.get("/school/guardians/", {"has_account": "1"}).content.decode(), family) == {"张爸爸"}
    html = client.get("/school/guardians/", {"has_account": "0"}).content.decode()
    assert _names(html, family) == {"张妈妈", "李妈妈"}


def test_given_htmx_and_paging_when_listing_then_table_fragment_and_pages(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    assert "第 1 / 3 页" in client.get("/school/guardians/", {"page_size": 1}).content.decode()
    fragment = client.get("/school/guardians/", {"q": "张"}, HTTP_HX_REQUEST="true").content.decode()
    assert "张妈妈" in fragment and "<html" not in fragment


def test_given_export_when_no_permission_then_masked_and_audited(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    response = client.get("/school/guardians/", {"export": "xlsx", "q": MOBILE_MOM})
    rows = _xlsx_rows(response)
    assert rows[0] == ("姓名", "手机号", "子女（关系）", "家长账号")
    assert rows[1] == ("张妈妈", "139****5926", "张小明（母亲）", "未开通")
    assert len(rows) == 2
    row = AuditEvent.objects.filter(event="export").latest("id")
    assert row.detail["what"] == "guardian" and row.detail["unmasked"] is False
    assert MOBILE_MOM not in json.dumps(row.detail)
    assert client.get("/school/guardians/", {"export": "xlsx", "unmasked": "1"}).status_code == 403


def test_given_permission_when_exporting_unmasked_then_full_mobiles_and_audited(
    world: Any, family: Any, login: Any
) -> None:
    membership = world.membership("school_a")
    membership.permissions = ["view_personal_data"]
    membership.save()
    client = login(world.users["school_a"])
    flat = json.dumps(_xlsx_rows(client.get("/school/guardians/", {"export": "xlsx", "unmasked": "1"})))
    assert MOBILE_MOM in flat and MOBILE_DAD in flat
    assert "李小红" not in flat  # the other school's child stays out even of a full export
    assert AuditEvent.objects.filter(event="export").latest("id").detail["unmasked"] is True


# --- detail --------------------------------------------------------------------------------------


def test_given_guardian_in_two_schools_when_detail_then_only_own_children_and_masked(
    world: Any, family: Any, login: Any
) -> None:
    client = login(world.users["school_a"])
    html = client.get(f"/school/guardians/{family.shared.pk}/").content.decode()
    assert "张小明" in html and "李小红" not in html and "其他" in html
    assert 'data-testid="elsewhere"' in html
    assert family.shared.mobile not in html and family.shared.mobile_masked in html
    assert "查看完整信息" not in html  # no permission, no button
    dad = client.get(f"/school/guardians/{family.dad.pk}/").content.decode()
    assert "已开通" in dad and "父亲" in dad


def test_given_permission_when_revealing_on_detail_then_shown_once_and_audited(
    world: Any, family: Any, login: Any
) -> None:
    membership = world.membership("school_a")
    membership.permissions = ["view_personal_data"]
    membership.save()
    client = login(world.users["school_a"])
    assert "查看完整信息" in client.get(f"/school/guardians/{family.mom.pk}/").content.decode()
    html = client.post(f"/school/guardians/{family.mom.pk}/reveal/").content.decode()
    assert MOBILE_MOM in html
    assert AuditEvent.objects.filter(
        event="view_sensitive", object_type="schools.guardian", object_id=str(family.mom.pk)
    ).exists()
    assert login(world.users["school_b"]).post(f"/school/guardians/{family.mom.pk}/reveal/").status_code == 404


def test_given_student_detail_when_rendered_then_guardian_rows_link_to_guardian_detail(
    world: Any, family: Any, login: Any
) -> None:
    html = login(world.users["school_a"]).get(f"/school/students/{family.student_a.pk}/").content.decode()
    assert f'href="/school/guardians/{family.mom.pk}/"' in html


# --- edit ----------------------------------------------------------------------------------------


def test_given_new_mobile_when_editing_then_resealed_and_audited_masked(world: Any, family: Any) -> None:
    services.guardian_update(
        actor=world.actor("school_a"), guardian=family.mom, data={"name": "张妈", "mobile": MOBILE_NEW}
    )
    family.mom.refresh_from_db()
    assert family.mom.name == "张妈" and family.mom.mobile == MOBILE_NEW
    assert list(selectors.guardian_list(actor=world.actor("school_a"), filters={"q": MOBILE_NEW})) == [family.mom]
    assert list(selectors.guardian_list(actor=world.actor("school_a"), filters={"q": MOBILE_MOM})) == []
    row = AuditEvent.objects.filter(event="update", object_type="schools.guardian").latest("id")
    assert row.detail["changes"] == {"name": ["张妈妈", "张妈"], "mobile": ["139****5926", "139****0339"]}
    assert MOBILE_NEW not in json.dumps(row.detail) and MOBILE_MOM not in json.dumps(row.detail)


def test_given_mobile_of_another_guardian_when_editing_then_refused(world: Any, family: Any) -> None:
    with pytest.raises(Conflict) as exc:
        services.guardian_update(actor=world.actor("school_a"), guardian=family.mom, data={"mobile": MOBILE_DAD})
    assert exc.value.code == "mobile_taken" and "另一位监护人" in exc.value.message
    # even a guardian the actor cannot see: the mobile is unique among all guardians
    with pytest.raises(Conflict):
        services.guardian_update(
            actor=world.actor("school_a"), guardian=family.mom, data={"mobile": family.orphan.mobile}
        )
    family.mom.refresh_from_db()
    assert family.mom.mobile == MOBILE_MOM


def test_given_parent_account_when_changing_mobile_then_refused_but_name_may_change(world: Any, family: Any) -> None:
    actor = world.actor("school_a")
    with pytest.raises(Conflict) as exc:
        services.guardian_update(actor=actor, guardian=family.dad, data={"mobile": MOBILE_NEW})
    assert exc.value.code == "has_account" and "本人" in exc.value.message
    services.guardian_update(actor=actor, guardian=family.dad, data={"name": "张爸"})
    family.dad.refresh_from_db()
    assert family.dad.name == "张爸" and family.dad.mobile == MOBILE_DAD


def test_given_invalid_input_when_editing_then_field_errors(world: Any, family: Any) -> None:
    from afterschool.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.guardian_update(actor=world.actor("school_a"), guardian=family.mom, data={"mobile": "12345"})
    assert "mobile" in exc.value.detail
    with pytest.raises(ValidationFailed) as exc:
        services.guardian_update(actor=world.actor("school_a"), guardian=family.mom, data={"name": "  "})
    assert "name" in exc.value.detail


def test_given_guardian_in_two_schools_when_either_admin_edits_then_allowed(world: Any, family: Any) -> None:
    services.guardian_update(actor=world.actor("school_a"), guardian=family.shared, data={"name": "李妈妈甲"})
    services.guardian_update(actor=world.actor("school_b"), guardian=family.shared, data={"name": "李妈妈乙"})
    family.shared.refresh_from_db()
    assert family.shared.name == "李妈妈乙"


def test_edit_page_changes_mobile_and_shows_collision_message(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    url = f"/school/guardians/{family.mom.pk}/edit/"
    form = client.get(url).content.decode()
    assert MOBILE_MOM not in form and "139****5926" in form  # never pre-filled in clear
    response = client.post(url, {"name": "张妈妈", "mobile": MOBILE_DAD})
    assert response.status_code == 200 and "另一位监护人" in response.content.decode()
    assert client.post(url, {"name": "张妈妈", "mobile": MOBILE_NEW}).status_code == 302
    assert client.post(url, {"name": "张妈妈二", "mobile": ""}).status_code == 302  # blank keeps the mobile
    family.mom.refresh_from_db()
    assert family.mom.mobile == MOBILE_NEW and family.mom.name == "张妈妈二"


def test_edit_page_of_guardian_with_account_does_not_change_the_mobile(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    url = f"/school/guardians/{family.dad.pk}/edit/"
    assert "须由本人修改" in client.get(url).content.decode()
    assert client.post(url, {"name": "张爸", "mobile": MOBILE_NEW}).status_code == 302
    family.dad.refresh_from_db()
    assert family.dad.name == "张爸" and family.dad.mobile == MOBILE_DAD


# --- delete --------------------------------------------------------------------------------------


def test_given_linked_guardian_when_deleting_then_refused_with_reason(world: Any, family: Any) -> None:
    with pytest.raises(Conflict) as exc:
        services.guardian_delete(actor=world.actor("school_a"), guardian=family.mom)
    assert exc.value.code == "in_use" and "请先在学生页面移除监护关系" in exc.value.message
    assert Guardian.objects.filter(pk=family.mom.pk).exists()


def test_given_links_in_another_school_when_deleting_then_refused_too(world: Any, family: Any) -> None:
    with pytest.raises(Conflict) as exc:
        services.guardian_delete(actor=world.actor("school_a"), guardian=family.shared)
    assert "其他学校" in exc.value.message
    family.shared_a.delete()  # school A's link gone; school B's link still protects the guardian
    with pytest.raises(Conflict) as exc:
        services.guardian_delete(actor=world.actor("system"), guardian=family.shared)
    assert exc.value.code == "in_use"
    assert Guardian.objects.filter(pk=family.shared.pk).exists()


def test_given_unlinked_guardian_when_deleting_then_deleted_and_audited_account_kept(world: Any, family: Any) -> None:
    family.orphan.user = world.users["parent"]
    family.orphan.save()
    services.guardian_delete(actor=world.actor("system"), guardian=family.orphan)
    assert not Guardian.objects.filter(pk=family.orphan.pk).exists()
    assert AuditEvent.objects.filter(
        event="delete", object_type="schools.guardian", object_id=str(family.orphan.pk)
    ).exists()
    world.users["parent"].refresh_from_db()  # the parent account stays


def test_given_school_admin_when_guardian_is_unlinked_then_it_left_its_scope(world: Any, family: Any) -> None:
    # A school admin sees a guardian only through its students: once unlinked, only the system admin can delete it.
    with pytest.raises(NotFound):
        services.guardian_delete(actor=world.actor("school_a"), guardian=family.orphan)


def test_delete_page_confirms_refuses_with_409_while_linked(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    confirm = client.get(f"/school/guardians/{family.mom.pk}/delete/").content.decode()
    assert "确认删除" in confirm and 'data-testid="references"' in confirm
    response = client.post(f"/school/guardians/{family.mom.pk}/delete/")
    assert response.status_code == 409 and "请先在学生页面移除监护关系" in response.content.decode()
    assert Guardian.objects.filter(pk=family.mom.pk).exists()


def test_delete_page_deletes_an_unlinked_guardian(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["system"])
    assert client.post(f"/school/guardians/{family.orphan.pk}/delete/").status_code == 302
    assert not Guardian.objects.filter(pk=family.orphan.pk).exists()


# --- who ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["school_b", "school_a2", "bureau_b"])
def test_given_other_tenant_when_opening_guardian_pages_then_404(world: Any, family: Any, login: Any, key: str) -> None:
    client = login(world.users[key])
    assert client.get(f"/school/guardians/{family.mom.pk}/").status_code == 404
    assert "张妈妈" not in client.get("/school/guardians/").content.decode()
    if key != "bureau_b":
        assert client.get(f"/school/guardians/{family.mom.pk}/edit/").status_code == 404
        assert client.post(f"/school/guardians/{family.mom.pk}/edit/", {"name": "x"}).status_code == 404
        assert client.post(f"/school/guardians/{family.mom.pk}/delete/").status_code == 404
    family.mom.refresh_from_db()
    assert family.mom.name == "张妈妈"


@pytest.mark.parametrize("key", ["school_b", "school_a2", "bureau_b", "teacher_a", "org_a"])
def test_given_other_tenant_when_using_guardian_api_then_404(world: Any, family: Any, login: Any, key: str) -> None:
    client = login(world.users[key])
    assert client.get(f"{API}/guardians/{family.mom.pk}").status_code == 404
    assert _patch(client, f"/guardians/{family.mom.pk}", {"name": "x"}).status_code == 404
    assert client.delete(f"{API}/guardians/{family.mom.pk}").status_code == 404
    assert "张妈妈" not in client.get(f"{API}/guardians").content.decode()
    assert Guardian.objects.get(pk=family.mom.pk).name == "张妈妈"


def test_given_bureau_when_writing_then_403_but_reads(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    assert client.get(f"/school/guardians/{family.mom.pk}/").status_code == 200
    assert client.get(f"/school/guardians/{family.mom.pk}/edit/").status_code == 403
    assert client.post(f"/school/guardians/{family.mom.pk}/delete/").status_code == 403
    assert _patch(client, f"/guardians/{family.mom.pk}", {"name": "x"}).status_code == 403
    assert client.delete(f"{API}/guardians/{family.orphan.pk}").status_code == 404  # unlinked: out of its region
    assert client.delete(f"{API}/guardians/{family.mom.pk}").status_code == 403
    with pytest.raises(PermissionDenied):
        services.guardian_update(actor=world.actor("bureau_a"), guardian=family.mom, data={"name": "x"})
    assert Guardian.objects.get(pk=family.mom.pk).name == "张妈妈"


def test_given_parent_when_reading_guardians_then_only_itself(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["parent"])
    assert [g["name"] for g in client.get(f"{API}/guardians").json()["items"]] == ["张爸爸"]
    assert client.get(f"{API}/guardians/{family.mom.pk}").status_code == 404
    assert client.get(f"{API}/guardians/{family.dad.pk}").status_code == 200
    assert _patch(client, f"/guardians/{family.dad.pk}", {"name": "x"}).status_code == 403
    assert client.get("/school/guardians/").status_code == 403
    assert client.get(f"/school/guardians/{family.mom.pk}/").status_code == 403


# --- API -----------------------------------------------------------------------------------------


def test_api_patch_guardian_and_collision_and_nulls(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    body = _patch(client, f"/guardians/{family.mom.pk}", {"name": "接口妈妈", "mobile": MOBILE_NEW}).json()
    assert body == {"id": family.mom.pk, "name": "接口妈妈", "mobile_masked": "139****0339", "has_account": False}
    taken = _patch(client, f"/guardians/{family.mom.pk}", {"mobile": MOBILE_DAD})
    assert taken.status_code == 409 and taken.json()["code"] == "mobile_taken"
    assert "mobile" in taken.json()["detail"]
    account = _patch(client, f"/guardians/{family.dad.pk}", {"mobile": MOBILE_MOM})
    assert account.status_code == 409 and account.json()["code"] == "has_account"
    assert _patch(client, f"/guardians/{family.mom.pk}", {"name": None}).status_code == 422


def test_api_delete_guardian_409_when_linked_204_when_not(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    refused = client.delete(f"{API}/guardians/{family.mom.pk}")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    system = login(world.users["system"])
    assert system.delete(f"{API}/guardians/{family.orphan.pk}").status_code == 204
    assert not Guardian.objects.filter(pk=family.orphan.pk).exists()


def test_api_guardian_list_filters(world: Any, family: Any, login: Any) -> None:
    client = login(world.users["school_a"])

    def names(**params: Any) -> list[str]:
        return [g["name"] for g in client.get(f"{API}/guardians", params).json()["items"]]

    assert names(relation="father") == ["张爸爸"]
    assert names(has_account="true") == ["张爸爸"]
    assert sorted(names(has_account="false")) == sorted(["张妈妈", "李妈妈"])
    assert names(q=MOBILE_MOM) == ["张妈妈"]
    assert client.get(f"{API}/guardians", {"relation": "boss"}).status_code == 422


def test_membership_of_parent_unchanged_by_guardian_edit(world: Any, family: Any) -> None:
    before = set(RoleMembership.objects.filter(user=world.users["parent"]).values_list("role", flat=True))
    services.guardian_update(actor=world.actor("school_a"), guardian=family.dad, data={"name": "张爸"})
    assert set(RoleMembership.objects.filter(user=world.users["parent"]).values_list("role", flat=True)) == before


def test_guardian_without_children_is_deleted_with_its_last_link_but_its_account_stays(world: Any) -> None:
    from afterschool.accounts.models import User
    from afterschool.schools.models import Guardian, StudentGuardian
    from afterschool.schools.services import people as people_services
    from afterschool.schools.tests.factories import GuardianFactory, StudentFactory, StudentGuardianFactory

    student = StudentFactory(school_class__grade__school=world.school_a)
    keep = StudentGuardianFactory(student=student)
    account = User.objects.create(username="13911112222")
    leaving = GuardianFactory(mobile="13911112222", user=account)
    link = StudentGuardianFactory(student=student, guardian=leaving, is_primary=False)
    people_services.guardian_remove(actor=world.actor("school_a"), link=link)
    assert not Guardian.objects.filter(pk=leaving.pk).exists()
    assert User.objects.filter(pk=account.pk).exists()
    assert StudentGuardian.objects.filter(pk=keep.pk).exists()
