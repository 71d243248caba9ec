"""Organization teachers (§5.1.2 师资管理): who reads and writes them, masking, reveal, accounts, certificates,
the bureau summary — through services, pages and the API."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.accounts.choices import OrgPermission, Permission, Role
from afterschool.accounts.models import AuditEvent, RoleMembership, User
from afterschool.accounts.tests.factories import UserFactory
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.tests.media_samples import sample_upload
from afterschool.courses.choices import BackgroundCheck
from afterschool.courses.models import OrgTeacher, TeacherCertificate
from afterschool.courses.selectors import teachers as selectors
from afterschool.courses.services import teachers as services
from afterschool.courses.tests.factories import DispatchFactory, OrgTeacherFactory
from afterschool.schools.tests.factories import make_id_number

pytestmark = pytest.mark.django_db

ID_1 = make_id_number(101, birth=dt.date(1988, 4, 2))
ID_2 = make_id_number(102, birth=dt.date(1990, 6, 3))
API = "/api/v1/courses"


def _data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "王老师",
        "mobile": "13712345678",
        "id_number": ID_1,
        "certificate_number": "20261100000001",
        "subjects": "美术、书法",
        "background_check": BackgroundCheck.PASSED,
        "background_checked_on": dt.date(2026, 3, 1),
        "is_active": True,
    }
    data.update(overrides)
    return data


def _grant(world: Any, key: str, *codes: str) -> None:
    membership = world.membership(key)
    membership.permissions = list(codes)
    membership.save()


@pytest.fixture
def teacher_a(world: Any) -> OrgTeacher:
    teacher, _ = services.teacher_create(actor=world.actor("org_a"), data=_data())
    return teacher


# --- services: writes and rules -----------------------------------------------------------------


def test_given_org_admin_when_creating_teacher_then_personal_data_is_sealed_and_masked(world: Any) -> None:
    teacher, initial = services.teacher_create(actor=world.actor("org_a"), data=_data())
    assert initial is None and teacher.user_id is None
    assert teacher.organization == world.org_a
    assert "13712345678" not in teacher.mobile_encrypted and ID_1 not in teacher.id_number_encrypted
    assert teacher.mobile_masked == "137****5678"
    assert teacher.id_number_masked != ID_1 and teacher.id_number_masked.startswith(ID_1[:3])
    event = AuditEvent.objects.get(event="create", object_type="courses.orgteacher")
    assert "13712345678" not in str(event.detail)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mobile", "1234", "手机号格式不正确"),
        ("mobile", "", "请填写手机号"),
        ("id_number", "110108198804020000", "校验位"),
        ("id_number", "11010819880231001X", "出生日期"),
        ("id_number", "abc", "格式不正确"),
        ("certificate_number", "12-34", "字母和数字"),
        ("background_checked_on", None, "审查日期"),
    ],
)
def test_given_bad_input_when_creating_teacher_then_refused_in_chinese(
    world: Any, field: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.teacher_create(actor=world.actor("org_a"), data=_data(**{field: value}))
    assert message in " ".join(exc.value.detail[field])


def test_given_future_check_date_when_creating_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.teacher_create(
            actor=world.actor("org_a"), data=_data(background_checked_on=dt.date.today() + dt.timedelta(days=2))
        )
    assert "background_checked_on" in exc.value.detail


def test_given_same_id_number_when_creating_in_same_org_then_refused_but_other_org_may(
    world: Any, teacher_a: OrgTeacher
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.teacher_create(actor=world.actor("org_a"), data=_data(mobile="13712345679"))
    assert exc.value.detail["id_number"] == ["本机构已有该身份证号的教师"]
    other, _ = services.teacher_create(actor=world.actor("org_b"), data=_data())
    assert other.organization == world.org_b


def test_given_org_actor_when_input_names_other_org_then_own_org_is_used(world: Any) -> None:
    teacher, _ = services.teacher_create(actor=world.actor("org_a"), data=_data(organization=world.org_b))
    assert teacher.organization == world.org_a


@pytest.mark.parametrize("key", ["bureau_a", "school_a", "teacher_a", "orgteacher_a"])
def test_given_non_editor_when_creating_teacher_then_permission_denied(world: Any, key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.teacher_create(actor=world.actor(key), data=_data())


def test_given_org_teacher_with_teacher_edit_when_creating_then_allowed(world: Any) -> None:
    _grant(world, "orgteacher_a", OrgPermission.TEACHER_VIEW, OrgPermission.TEACHER_EDIT)
    teacher, _ = services.teacher_create(actor=world.actor("orgteacher_a"), data=_data())
    assert teacher.organization == world.org_a


def test_given_system_admin_when_creating_without_organization_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.teacher_create(actor=world.actor("system"), data=_data())
    assert "organization" in exc.value.detail
    teacher, _ = services.teacher_create(actor=world.actor("system"), data=_data(organization=world.org_b))
    assert teacher.organization == world.org_b


def test_given_teacher_when_updating_id_number_then_resealed_and_audited_masked(
    world: Any, teacher_a: OrgTeacher
) -> None:
    services.teacher_update(actor=world.actor("org_a"), teacher=teacher_a, data={"id_number": ID_2, "name": "王二"})
    teacher_a.refresh_from_db()
    assert teacher_a.id_number == ID_2 and teacher_a.name == "王二"
    event = AuditEvent.objects.filter(event="update", object_type="courses.orgteacher").latest("seq")
    assert ID_2 not in str(event.detail) and "王二" in str(event.detail)


def test_given_other_org_when_updating_teacher_then_not_found(world: Any, teacher_a: OrgTeacher) -> None:
    with pytest.raises(NotFound):
        services.teacher_update(actor=world.actor("org_b"), teacher=teacher_a, data={"name": "x"})


def test_given_teacher_with_dispatch_when_deleting_then_refused_and_deactivation_works(
    world: Any, teacher_a: OrgTeacher
) -> None:
    DispatchFactory(teacher=teacher_a, school=world.school_a)
    with pytest.raises(Conflict) as exc:
        services.teacher_delete(actor=world.actor("org_a"), teacher=teacher_a)
    assert "停用" in exc.value.message
    services.teacher_update(actor=world.actor("org_a"), teacher=teacher_a, data={"is_active": False})
    teacher_a.refresh_from_db()
    assert teacher_a.is_active is False


def test_given_teacher_without_dispatch_when_deleting_then_gone_and_audited(world: Any, teacher_a: OrgTeacher) -> None:
    services.teacher_delete(actor=world.actor("org_a"), teacher=teacher_a)
    assert not OrgTeacher.objects.filter(pk=teacher_a.pk).exists()
    assert AuditEvent.objects.filter(event="delete", object_type="courses.orgteacher").exists()


# --- accounts --------------------------------------------------------------------------------------


def test_given_create_account_when_no_account_has_mobile_then_org_teacher_login_is_created(world: Any) -> None:
    teacher, initial = services.teacher_create(actor=world.actor("org_a"), data=_data(create_account=True))
    assert initial
    user = User.objects.get(pk=teacher.user_id)
    assert user.username == "13712345678" and user.must_change_password
    assert user.check_password(initial)
    assert RoleMembership.objects.filter(user=user, role=Role.ORG_TEACHER, organization=world.org_a).exists()


def test_given_existing_account_with_mobile_when_creating_account_then_linked_not_duplicated(world: Any) -> None:
    existing = UserFactory(username="zhang")
    existing.set_mobile("13712345678")
    existing.save()
    teacher, initial = services.teacher_create(actor=world.actor("org_a"), data=_data(create_account=True))
    assert initial is None and teacher.user_id == existing.pk
    assert User.objects.filter(username="13712345678").count() == 0
    assert RoleMembership.objects.filter(user=existing, role=Role.ORG_TEACHER, organization=world.org_a).exists()


def test_given_teacher_with_account_when_creating_account_again_then_conflict(world: Any) -> None:
    teacher, _ = services.teacher_create(actor=world.actor("org_a"), data=_data(create_account=True))
    with pytest.raises(Conflict):
        services.teacher_account_create(actor=world.actor("org_a"), teacher=teacher)


# --- reads and scoping --------------------------------------------------------------------------------


def test_given_teachers_of_two_orgs_when_each_reads_then_only_own(world: Any, teacher_a: OrgTeacher) -> None:
    teacher_b = OrgTeacherFactory(organization=world.org_b)
    assert list(selectors.teacher_list(actor=world.actor("org_a"))) == [teacher_a]
    assert list(selectors.teacher_list(actor=world.actor("org_b"))) == [teacher_b]
    with pytest.raises(NotFound):
        selectors.teacher_get(actor=world.actor("org_b"), teacher_id=teacher_a.pk)


def test_given_bureau_when_reading_then_sees_its_region_only(world: Any, teacher_a: OrgTeacher) -> None:
    OrgTeacherFactory(organization=world.org_b)
    assert list(selectors.teacher_list(actor=world.actor("bureau_a"))) == [teacher_a]
    with pytest.raises(NotFound):
        selectors.teacher_get(actor=world.actor("bureau_b"), teacher_id=teacher_a.pk)


def test_given_dispatch_to_school_a_when_schools_read_then_only_school_a_sees_teacher(
    world: Any, teacher_a: OrgTeacher
) -> None:
    assert list(selectors.teacher_list(actor=world.actor("school_a"))) == []
    DispatchFactory(teacher=teacher_a, school=world.school_a)
    DispatchFactory(
        teacher=teacher_a, school=world.school_a, starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 6, 30)
    )
    assert list(selectors.teacher_list(actor=world.actor("school_a"))) == [teacher_a]
    assert list(selectors.teacher_list(actor=world.actor("school_a2"))) == []
    with pytest.raises(NotFound):
        selectors.teacher_get(actor=world.actor("school_a2"), teacher_id=teacher_a.pk)


@pytest.mark.parametrize("key", ["teacher_a", "parent", "student", "orgteacher_a"])
def test_given_role_without_teacher_view_when_reading_then_nothing(world: Any, teacher_a: OrgTeacher, key: str) -> None:
    DispatchFactory(teacher=teacher_a, school=world.school_a)
    assert list(selectors.teacher_list(actor=world.actor(key))) == []


def test_given_org_teacher_with_teacher_view_when_reading_then_sees_org_teachers(
    world: Any, teacher_a: OrgTeacher
) -> None:
    _grant(world, "orgteacher_a", OrgPermission.TEACHER_VIEW)
    assert list(selectors.teacher_list(actor=world.actor("orgteacher_a"))) == [teacher_a]
    with pytest.raises(PermissionDenied):
        services.teacher_update(actor=world.actor("orgteacher_a"), teacher=teacher_a, data={"name": "x"})


def test_given_search_by_full_mobile_or_id_number_then_found_through_index(world: Any, teacher_a: OrgTeacher) -> None:
    OrgTeacherFactory(organization=world.org_a, name="李老师")
    actor = world.actor("org_a")
    assert list(selectors.teacher_list(actor=actor, filters={"q": "137 1234 5678"})) == [teacher_a]
    assert list(selectors.teacher_list(actor=actor, filters={"q": ID_1.lower()})) == [teacher_a]
    assert list(selectors.teacher_list(actor=actor, filters={"q": "5678"})) == []
    assert [t.name for t in selectors.teacher_list(actor=actor, filters={"q": "李"})] == ["李老师"]


def test_given_filters_then_list_narrows(world: Any, teacher_a: OrgTeacher) -> None:
    pending = OrgTeacherFactory(organization=world.org_a, background_check=BackgroundCheck.PENDING, is_active=False)
    TeacherCertificate.objects.create(
        teacher=teacher_a, name="资格证", file="x.pdf", media_kind="document", content_type="application/pdf", size=1
    )
    actor = world.actor("org_a")
    assert list(selectors.teacher_list(actor=actor, filters={"background_check": "pending"})) == [pending]
    assert list(selectors.teacher_list(actor=actor, filters={"is_active": "0"})) == [pending]
    assert list(selectors.teacher_list(actor=actor, filters={"has_certificate": "1"})) == [teacher_a]
    assert list(selectors.teacher_list(actor=actor, filters={"has_certificate": "0"})) == [pending]
    by_org = selectors.teacher_list(actor=world.actor("system"), filters={"organization": world.org_a.pk})
    assert set(by_org) == {teacher_a, pending}


# --- reveal -------------------------------------------------------------------------------------------


def test_given_permission_when_org_reveals_then_full_value_and_audited(world: Any, teacher_a: OrgTeacher) -> None:
    _grant(world, "org_a", Permission.VIEW_PERSONAL_DATA)
    assert services.teacher_reveal(actor=world.actor("org_a"), teacher=teacher_a, field="id_number") == ID_1
    assert AuditEvent.objects.filter(event="view_sensitive", object_type="courses.orgteacher").count() == 1


def test_given_no_permission_when_revealing_then_denied(world: Any, teacher_a: OrgTeacher) -> None:
    with pytest.raises(PermissionDenied):
        services.teacher_reveal(actor=world.actor("org_a"), teacher=teacher_a, field="mobile")


def test_given_school_admin_with_permission_when_revealing_dispatched_teacher_then_denied(
    world: Any, teacher_a: OrgTeacher
) -> None:
    DispatchFactory(teacher=teacher_a, school=world.school_a)
    _grant(world, "school_a", Permission.VIEW_PERSONAL_DATA)
    with pytest.raises(PermissionDenied):
        services.teacher_reveal(actor=world.actor("school_a"), teacher=teacher_a, field="mobile")


def test_given_bad_field_when_revealing_then_refused(world: Any, teacher_a: OrgTeacher) -> None:
    _grant(world, "org_a", Permission.VIEW_PERSONAL_DATA)
    with pytest.raises(ValidationFailed):
        services.teacher_reveal(actor=world.actor("org_a"), teacher=teacher_a, field="id_number_encrypted")


# --- certificates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "jpg", "png"])
def test_given_pdf_jpg_png_when_uploading_certificate_then_stored(world: Any, teacher_a: OrgTeacher, fmt: str) -> None:
    cert = services.certificate_upload(
        actor=world.actor("org_a"), teacher=teacher_a, name="教师资格证", upload=sample_upload(fmt)
    )
    assert cert.file.name.endswith(f".{fmt}") and cert.size > 0
    assert list(selectors.certificate_list(actor=world.actor("org_a"), teacher=teacher_a)) == [cert]


@pytest.mark.parametrize("fmt", ["docx", "exe", "zip", "empty", "mp4"])
def test_given_other_files_when_uploading_certificate_then_refused(world: Any, teacher_a: OrgTeacher, fmt: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.certificate_upload(
            actor=world.actor("org_a"), teacher=teacher_a, name="证书", upload=sample_upload(fmt)
        )
    assert "file" in exc.value.detail
    assert not TeacherCertificate.objects.exists()


def test_given_pdf_named_png_when_uploading_then_refused(world: Any, teacher_a: OrgTeacher) -> None:
    with pytest.raises(ValidationFailed):
        services.certificate_upload(
            actor=world.actor("org_a"), teacher=teacher_a, name="证书", upload=sample_upload("pdf", "x.png")
        )


def test_given_certificate_when_deleted_then_gone_and_audited(world: Any, teacher_a: OrgTeacher) -> None:
    cert = services.certificate_upload(
        actor=world.actor("org_a"), teacher=teacher_a, name="证", upload=sample_upload("pdf")
    )
    with pytest.raises(NotFound):
        services.certificate_delete(actor=world.actor("org_b"), certificate=cert)
    services.certificate_delete(actor=world.actor("org_a"), certificate=cert)
    assert not TeacherCertificate.objects.exists()
    assert AuditEvent.objects.filter(event="delete", object_type="courses.teachercertificate").exists()


# --- summary ----------------------------------------------------------------------------------------------


def test_given_teachers_when_bureau_reads_summary_then_counts_per_org_of_region(
    world: Any, teacher_a: OrgTeacher, django_assert_num_queries: Any
) -> None:
    OrgTeacherFactory(organization=world.org_a, background_check=BackgroundCheck.PENDING, certificate_number="")
    OrgTeacherFactory(organization=world.org_a, background_check=BackgroundCheck.FAILED)
    OrgTeacherFactory(organization=world.org_a, is_active=False)
    OrgTeacherFactory(organization=world.org_b)
    services.certificate_upload(actor=world.actor("org_a"), teacher=teacher_a, name="证", upload=sample_upload("pdf"))
    services.certificate_upload(actor=world.actor("org_a"), teacher=teacher_a, name="证2", upload=sample_upload("png"))
    bureau = world.actor("bureau_a")
    list(selectors.teacher_summary(actor=bureau))  # warms the cached region subtree
    with django_assert_num_queries(1):
        rows = list(selectors.teacher_summary(actor=bureau))
    assert [r.pk for r in rows] == [world.org_a.pk]
    row = rows[0]
    assert (row.teacher_count, row.with_certificate_number, row.with_certificate_files) == (3, 2, 1)
    assert (row.check_passed, row.check_pending, row.check_failed) == (1, 1, 1)
    assert list(selectors.teacher_summary(actor=world.actor("org_a"))) == []
    assert list(selectors.teacher_summary(actor=world.actor("school_a"))) == []


# --- pages ----------------------------------------------------------------------------------------------


def test_given_org_admin_when_using_pages_then_create_detail_edit_list_work(world: Any, login: Any) -> None:
    client = login(world.users["org_a"])
    form = {k: ("on" if v is True else v) for k, v in _data(background_checked_on="2026-03-01").items()}
    response = client.post(reverse("courses:teacher_create"), form)
    teacher = OrgTeacher.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("courses:teacher_detail", args=[teacher.pk])
    page = client.get(reverse("courses:teacher_detail", args=[teacher.pk])).content.decode()
    assert "137****5678" in page and "13712345678" not in page and ID_1 not in page
    listing = client.get(reverse("courses:teacher_list")).content.decode()
    assert "王老师" in listing and "137****5678" in listing and "13712345678" not in listing
    response = client.post(
        reverse("courses:teacher_edit", args=[teacher.pk]), {**form, "mobile": "", "id_number": "", "name": "王新"}
    )
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.name == "王新" and teacher.mobile == "13712345678"


def test_given_bad_form_when_creating_then_chinese_errors_shown(world: Any, login: Any) -> None:
    client = login(world.users["org_a"])
    response = client.post(reverse("courses:teacher_create"), {**_data(mobile="12", background_checked_on="")})
    assert response.status_code == 200
    assert "手机号格式不正确" in response.content.decode()
    assert not OrgTeacher.objects.exists()


def test_given_create_account_on_page_then_initial_password_shown_once(world: Any, login: Any) -> None:
    client = login(world.users["org_a"])
    response = client.post(reverse("courses:teacher_create"), {**_data(), "create_account": "on"})
    assert response.status_code == 200 and 'data-testid="initial-password"' in response.content.decode()


def test_given_export_then_masked_and_audited(world: Any, login: Any, teacher_a: OrgTeacher) -> None:
    response = login(world.users["org_a"]).get(reverse("courses:teacher_list"), {"export": "xlsx", "q": "13712345678"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert "137****5678" in values and "13712345678" not in values and ID_1 not in values
    event = AuditEvent.objects.get(event="export")
    assert "13712345678" not in str(event.detail) and "137****5678" in str(event.detail)


def test_given_reveal_on_page_then_shown_once_and_audited(world: Any, login: Any, teacher_a: OrgTeacher) -> None:
    _grant(world, "org_a", Permission.VIEW_PERSONAL_DATA)
    client = login(world.users["org_a"])
    response = client.post(reverse("courses:teacher_reveal", args=[teacher_a.pk]), {"field": "mobile"})
    assert "13712345678" in response.content.decode()
    assert AuditEvent.objects.filter(event="view_sensitive").count() == 1
    assert "13712345678" not in client.get(reverse("courses:teacher_detail", args=[teacher_a.pk])).content.decode()


def test_given_cross_tenant_when_opening_pages_then_404(world: Any, login: Any, teacher_a: OrgTeacher) -> None:
    DispatchFactory(teacher=teacher_a, school=world.school_a)
    for key in ("org_b", "bureau_b", "school_a2"):
        client = login(world.users[key])
        assert client.get(reverse("courses:teacher_detail", args=[teacher_a.pk])).status_code == 404
    assert login(world.users["school_a"]).get(reverse("courses:teacher_detail", args=[teacher_a.pk])).status_code == 200
    assert login(world.users["org_b"]).get(reverse("courses:teacher_edit", args=[teacher_a.pk])).status_code == 404
    assert login(world.users["parent"]).get(reverse("courses:teacher_list")).status_code == 403


def test_given_school_admin_when_editing_then_forbidden(world: Any, login: Any, teacher_a: OrgTeacher) -> None:
    DispatchFactory(teacher=teacher_a, school=world.school_a)
    client = login(world.users["school_a"])
    assert client.get(reverse("courses:teacher_edit", args=[teacher_a.pk])).status_code == 403
    assert client.get(reverse("courses:teacher_create")).status_code == 403


def test_given_dispatched_teacher_when_deleting_on_page_then_409_with_deactivate_offer(
    world: Any, login: Any, teacher_a: OrgTeacher
) -> None:
    DispatchFactory(teacher=teacher_a, school=world.school_a)
    client = login(world.users["org_a"])
    response = client.post(reverse("courses:teacher_delete", args=[teacher_a.pk]))
    assert response.status_code == 409 and "改为停用" in response.content.decode()
    assert client.post(reverse("courses:teacher_deactivate", args=[teacher_a.pk])).status_code == 302
    teacher_a.refresh_from_db()
    assert not teacher_a.is_active


def test_given_certificate_pages_then_upload_download_delete_scoped(
    world: Any, login: Any, teacher_a: OrgTeacher
) -> None:
    client = login(world.users["org_a"])
    url = reverse("courses:teacher_certificate_upload", args=[teacher_a.pk])
    bad = client.post(url, {"name": "证", "file": sample_upload("exe")})
    assert bad.status_code == 422 and not TeacherCertificate.objects.exists()
    assert client.post(url, {"name": "证", "file": sample_upload("pdf")}).status_code == 302
    cert = TeacherCertificate.objects.get()
    download = reverse("courses:teacher_certificate_download", args=[teacher_a.pk, cert.pk])
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert login(world.users["org_b"]).get(download).status_code == 404
    assert login(world.users["school_a2"]).get(download).status_code == 404
    delete = reverse("courses:teacher_certificate_delete", args=[teacher_a.pk, cert.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302 and not TeacherCertificate.objects.exists()


def test_given_bureau_when_opening_summary_page_and_export_then_ok(
    world: Any, login: Any, teacher_a: OrgTeacher
) -> None:
    client = login(world.users["bureau_a"])
    page = client.get(reverse("courses:teacher_summary")).content.decode()
    assert world.org_a.name in page and world.org_b.name not in page
    response = client.get(reverse("courses:teacher_summary"), {"export": "xlsx"})
    assert response.status_code == 200 and AuditEvent.objects.filter(event="export").exists()
    assert login(world.users["org_a"]).get(reverse("courses:teacher_summary")).status_code == 403


# --- API ---------------------------------------------------------------------------------------------------


def test_given_api_when_creating_and_reading_then_masked_everywhere(world: Any, login: Any) -> None:
    client = login(world.users["org_a"])
    body = {**_data(background_checked_on="2026-03-01"), "create_account": True}
    response = client.post(f"{API}/teachers", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["mobile_masked"] == "137****5678" and data["initial_password"]
    assert "13712345678" not in str({k: v for k, v in data.items() if k != "initial_password"}).replace(
        "137****5678", ""
    )
    listed = client.get(f"{API}/teachers").json()
    assert listed["count"] == 1 and ID_1 not in str(listed) and "13712345678" not in str(listed)
    detail = client.get(f"{API}/teachers/{data['id']}").json()
    assert detail["id_number_masked"] != ID_1


def test_given_api_bad_input_then_422(world: Any, login: Any) -> None:
    client = login(world.users["org_a"])
    response = client.post(
        f"{API}/teachers",
        {**_data(background_checked_on="2026-03-01"), "id_number": "1"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "id_number" in response.json()["detail"]
    assert client.post(f"{API}/teachers", {"name": "x"}, content_type="application/json").status_code == 422


def test_given_api_cross_tenant_then_404(world: Any, login: Any, teacher_a: OrgTeacher) -> None:
    DispatchFactory(teacher=teacher_a, school=world.school_a)
    for key in ("org_b", "bureau_b", "school_a2"):
        client = login(world.users[key])
        assert client.get(f"{API}/teachers/{teacher_a.pk}").status_code == 404
        assert client.get(f"{API}/teachers").json()["count"] == 0
    assert (
        login(world.users["org_b"])
        .patch(f"{API}/teachers/{teacher_a.pk}", {"name": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    assert login(world.users["school_a"]).get(f"{API}/teachers/{teacher_a.pk}").status_code == 200


def test_given_api_patch_delete_and_reveal(world: Any, login: Any, teacher_a: OrgTeacher) -> None:
    client = login(world.users["org_a"])
    response = client.patch(f"{API}/teachers/{teacher_a.pk}", {"subjects": "书法"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["subjects"] == "书法"
    assert (
        client.post(
            f"{API}/teachers/{teacher_a.pk}/reveal", {"field": "mobile"}, content_type="application/json"
        ).status_code
        == 403
    )
    _grant(world, "org_a", Permission.VIEW_PERSONAL_DATA)
    client = login(world.users["org_a"])
    response = client.post(
        f"{API}/teachers/{teacher_a.pk}/reveal", {"field": "mobile"}, content_type="application/json"
    )
    assert response.json() == {"field": "mobile", "value": "13712345678"}
    assert client.delete(f"{API}/teachers/{teacher_a.pk}").status_code == 204


def test_given_api_certificates_then_upload_list_download_delete(world: Any, login: Any, teacher_a: OrgTeacher) -> None:
    client = login(world.users["org_a"])
    url = f"{API}/teachers/{teacher_a.pk}/certificates"
    bad = client.post(url, {"name": "证", "file": sample_upload("docx")})
    assert bad.status_code == 422 and bad.json()["detail"]["file"]
    response = client.post(url, {"name": "证", "file": sample_upload("jpg")})
    assert response.status_code == 201, response.content
    cert_id = response.json()["id"]
    assert [c["id"] for c in client.get(url).json()] == [cert_id]
    assert client.get(f"{url}/{cert_id}/file").status_code == 200
    assert login(world.users["org_b"]).get(f"{url}/{cert_id}/file").status_code == 404
    assert login(world.users["org_b"]).get(url).status_code == 404
    assert client.delete(f"{url}/{cert_id}").status_code == 204


def test_given_api_summary_and_export(world: Any, login: Any, teacher_a: OrgTeacher) -> None:
    data = login(world.users["bureau_a"]).get(f"{API}/teachers/summary").json()
    assert data["items"][0]["organization_id"] == world.org_a.pk and data["items"][0]["teacher_count"] == 1
    assert login(world.users["bureau_b"]).get(f"{API}/teachers/summary").json()["items"][0]["teacher_count"] == 0
    response = login(world.users["org_a"]).get(f"{API}/teachers/export")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "13712345678" not in str([c.value for row in sheet.iter_rows() for c in row])
