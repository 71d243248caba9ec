"""入驻申请 (§5.1.2): the public form, the applicant's look-up, the bureau's review, approval and its races."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from afterschool.accounts.models import AuditEvent, RoleMembership, User
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.core.tests.media_samples import sample_bytes
from afterschool.tenancy import selectors, services
from afterschool.tenancy.models import Organization, OrganizationApplication, OrganizationStatusChange
from afterschool.tenancy.tests.factories import OrganizationFactory, make_credit_code

CODE = make_credit_code(7654321)


def _licence(fmt: str = "pdf", name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or f"licence.{fmt}", sample_bytes(fmt))


def _post_data(world: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "海淀星光艺术培训中心",
        "credit_code": CODE.lower(),
        "kind": "company",
        "region": str(world.district_a.pk),
        "licence": _licence(),
        "contact_name": "王经理",
        "contact_phone": "13912345678",
        "contact_email": "",
        "address": "海淀区中关村大街 1 号",
        "course_categories": ["arts", "sports"],
        "teacher_summary": "专职教师 12 人，均持教师资格证。",
    }
    data.update(overrides)
    return data


def _submit(world: Any, client_ip: str = "10.0.0.1", **overrides: Any) -> OrganizationApplication:
    data = _post_data(world, **overrides)
    licence = data.pop("licence")
    data["region"] = overrides.get("region", world.district_a)
    return services.application_submit(client_ip=client_ip, data=data, licence=licence)


@pytest.fixture(autouse=True)
def _memory_storage(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


# --- the public form -------------------------------------------------------------------------------------------


def test_given_anonymous_visitor_when_opening_apply_form_then_it_is_shown_without_login(world: Any) -> None:
    response = Client().get(reverse("tenancy:apply"))
    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode()


def test_given_valid_form_when_submitted_then_reference_is_shown_and_submission_audited(world: Any) -> None:
    client = Client()
    response = client.post(reverse("tenancy:apply"), _post_data(world), REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302
    application = OrganizationApplication.objects.get()
    assert application.reference.startswith("RZ") and len(application.reference) == 16
    assert application.credit_code == CODE and application.status == "submitted"
    assert application.course_categories == ["sports", "arts"]
    done = client.get(response["Location"])
    assert application.reference in done.content.decode()
    event = AuditEvent.objects.get(event="create", object_type__icontains="organizationapplication")
    assert event.user_id is None and event.username == "<public>"
    assert event.detail["reference"] == application.reference
    assert event.region_id_scope == world.district_a.pk


def test_given_enforced_csrf_when_posting_without_token_then_refused(world: Any) -> None:
    response = Client(enforce_csrf_checks=True).post(reverse("tenancy:apply"), _post_data(world))
    assert response.status_code == 403
    assert not OrganizationApplication.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credit_code", "91110108MA00000010"),  # wrong check character
        ("credit_code", "123"),
        ("course_categories", []),
        ("course_categories", ["cooking"]),
        ("contact_phone", "abc"),
        ("contact_email", "not-an-email"),
        ("name", ""),
    ],
)
def test_given_bad_field_when_submitted_then_form_shows_error(world: Any, field: str, value: Any) -> None:
    response = Client().post(reverse("tenancy:apply"), _post_data(world, **{field: value}))
    assert response.status_code == 422
    assert response.context["form"].errors.get(field)
    assert not OrganizationApplication.objects.exists()


def test_given_city_level_region_when_submitted_then_refused(world: Any) -> None:
    response = Client().post(reverse("tenancy:apply"), _post_data(world, region=str(world.district_a.parent_id)))
    assert response.status_code == 422
    assert "region" in response.context["form"].errors


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("docx", None), ("xlsx", None), ("exe", "licence.pdf"), ("zip", None), ("docx", "licence.pdf"), ("mp4", None)],
)
def test_given_bad_licence_file_when_submitted_then_refused(world: Any, fmt: str, name: str | None) -> None:
    response = Client().post(reverse("tenancy:apply"), _post_data(world, licence=_licence(fmt, name)))
    assert response.status_code == 422
    assert response.context["form"].errors.get("licence")
    assert not OrganizationApplication.objects.exists()


@pytest.mark.parametrize("fmt", ["pdf", "jpg", "png"])
def test_given_pdf_jpg_or_png_licence_when_submitted_then_accepted(world: Any, fmt: str) -> None:
    application = _submit(world, licence=_licence(fmt))
    assert application.licence.name.endswith(f".{fmt}")


def test_given_open_application_when_same_code_applies_again_then_refused(world: Any) -> None:
    _submit(world)
    with pytest.raises(ValidationFailed) as exc:
        _submit(world)
    assert "credit_code" in exc.value.detail
    response = Client().post(reverse("tenancy:apply"), _post_data(world))
    assert response.status_code == 422 and "待审核" in str(response.context["form"].errors["credit_code"])


def test_given_race_past_the_check_when_saving_then_the_constraint_becomes_a_form_error(
    world: Any, monkeypatch: Any
) -> None:
    _submit(world)
    monkeypatch.setattr(services, "_check_can_apply", lambda code: None)
    with pytest.raises(ValidationFailed) as exc:
        _submit(world)
    assert "credit_code" in exc.value.detail
    assert OrganizationApplication.objects.count() == 1


@pytest.mark.parametrize("status", ["active", "suspended"])
def test_given_active_or_suspended_organization_when_it_applies_then_refused(world: Any, status: str) -> None:
    OrganizationFactory(credit_code=CODE, region=world.district_a, status=status)
    with pytest.raises(ValidationFailed) as exc:
        _submit(world)
    assert "已入驻" in exc.value.detail["credit_code"][0]


def test_given_rejected_application_when_applying_again_then_accepted(world: Any) -> None:
    first = _submit(world)
    services.application_reject(actor=world.actor("bureau_a"), application_id=first.pk, reason="材料不全")
    second = _submit(world)
    assert second.reference != first.reference


def test_given_five_submissions_from_one_address_when_sixth_comes_then_rate_limited(world: Any) -> None:
    client = Client()
    url = reverse("tenancy:apply")
    for n in range(services.APPLICATION_RATE_LIMIT):
        code = make_credit_code(7000000 + n)
        assert client.post(url, _post_data(world, credit_code=code), REMOTE_ADDR="10.9.9.9").status_code == 302
    response = client.post(url, _post_data(world, credit_code=make_credit_code(7100000)), REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode()
    assert OrganizationApplication.objects.count() == services.APPLICATION_RATE_LIMIT
    other = client.post(url, _post_data(world, credit_code=make_credit_code(7100001)), REMOTE_ADDR="10.9.9.8")
    assert other.status_code == 302


# --- the applicant's look-up -----------------------------------------------------------------------------------


def test_given_reference_and_code_when_looking_up_then_status_and_rejection_reason_shown(world: Any) -> None:
    application = _submit(world)
    url = reverse("tenancy:apply_status")
    response = Client().get(url, {"reference": application.reference, "credit_code": CODE})
    assert "待审核" in response.content.decode()
    services.application_reject(actor=world.actor("bureau_a"), application_id=application.pk, reason="执照模糊")
    response = Client().get(url, {"reference": application.reference.lower(), "credit_code": CODE})
    body = response.content.decode()
    assert "已驳回" in body and "执照模糊" in body


def test_given_wrong_credit_code_when_looking_up_then_nothing_is_revealed(world: Any) -> None:
    application = _submit(world)
    response = Client().get(
        reverse("tenancy:apply_status"), {"reference": application.reference, "credit_code": make_credit_code(1)}
    )
    assert response.context["application"] is None
    assert application.name not in response.content.decode()


# --- review: access --------------------------------------------------------------------------------------------


def test_given_bureau_of_region_when_listing_then_sees_its_applications_and_can_filter_and_export(
    world: Any, login: Any
) -> None:
    mine = _submit(world)
    other = _submit(world, credit_code=make_credit_code(7200000), region=world.district_b)
    client = login(world.users["bureau_a"])
    body = client.get(reverse("tenancy:application_list")).content.decode()
    assert mine.reference in body and other.reference not in body
    assert client.get(reverse("tenancy:application_list"), {"status": "rejected"}).context["page"].count == 0
    assert client.get(reverse("tenancy:application_list"), {"q": CODE[:8]}).context["page"].count == 1
    export = client.get(reverse("tenancy:application_list"), {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(event="export").exists()


def test_given_other_district_bureau_when_opening_application_then_404_on_page_and_api(world: Any, login: Any) -> None:
    application = _submit(world)
    client = login(world.users["bureau_b"])
    for name in ("application_detail", "application_licence", "application_approve", "application_reject"):
        assert client.get(reverse(f"tenancy:{name}", args=[application.pk])).status_code == 404
    assert client.get(f"/api/v1/tenancy/applications/{application.pk}").status_code == 404
    assert (
        client.post(f"/api/v1/tenancy/applications/{application.pk}/approve", {}, "application/json").status_code == 404
    )
    assert OrganizationApplication.objects.get().status == "submitted"


@pytest.mark.parametrize("key", ["school_a", "org_a", "teacher_a"])
def test_given_non_bureau_role_when_reviewing_then_refused(world: Any, login: Any, key: str) -> None:
    application = _submit(world)
    client = login(world.users[key])
    assert client.get(reverse("tenancy:application_list")).status_code == 403
    assert client.get(reverse("tenancy:application_detail", args=[application.pk])).status_code == 403
    assert client.post(reverse("tenancy:application_approve", args=[application.pk])).status_code == 403
    assert client.get("/api/v1/tenancy/applications").json()["count"] == 0
    response = client.post(f"/api/v1/tenancy/applications/{application.pk}/reject", {"reason": "x"}, "application/json")
    assert response.status_code in (403, 404)
    with pytest.raises((PermissionDenied, Exception)):
        services.application_approve(actor=world.actor(key), application_id=application.pk)
    assert OrganizationApplication.objects.get().status == "submitted"


def test_given_bureau_when_opening_detail_then_fields_licence_and_history_shown(world: Any, login: Any) -> None:
    first = _submit(world)
    services.application_reject(actor=world.actor("bureau_a"), application_id=first.pk, reason="缺少师资证明")
    second = _submit(world)
    client = login(world.users["bureau_a"])
    response = client.get(reverse("tenancy:application_detail", args=[second.pk]))
    body = response.content.decode()
    assert "王经理" in body and "艺术" in body and first.reference in body and "缺少师资证明" in body
    licence = client.get(reverse("tenancy:application_licence", args=[second.pk]))
    assert licence.status_code == 200 and licence["Content-Type"] == "application/pdf"
    assert b"".join(licence.streaming_content).startswith(b"%PDF")


# --- review: decisions -----------------------------------------------------------------------------------------


def test_given_submitted_application_when_approved_then_org_account_history_and_audit(world: Any) -> None:
    application = _submit(world)
    approval = services.application_approve(actor=world.actor("bureau_a"), application_id=application.pk)
    org = Organization.objects.get(credit_code=CODE)
    assert org.status == "active" and org.name == application.name and org.region == world.district_a
    assert org.contact_phone == "13912345678"
    application.refresh_from_db()
    assert application.status == "approved" and application.organization == org
    assert application.reviewed_by == world.users["bureau_a"]
    change = OrganizationStatusChange.objects.get(organization=org)
    assert (change.from_status, change.to_status) == ("", "active") and application.reference in change.reason
    user = User.objects.get(username=approval.username)
    assert approval.username == "org" + CODE[-8:].lower()
    assert user.must_change_password and user.check_password(approval.initial_password)
    assert user.mobile == "13912345678"
    assert RoleMembership.objects.filter(user=user, role="org_admin", organization=org).exists()
    assert AuditEvent.objects.filter(event="update", object_type__icontains="organizationapplication").exists()
    assert not AuditEvent.objects.filter(detail__icontains=approval.initial_password).exists()


def test_given_username_taken_and_mobile_used_when_approved_then_unique_name_and_no_mobile(world: Any) -> None:
    User.objects.create(username="org" + CODE[-8:].lower())
    world.users["parent"].set_mobile("13912345678")
    world.users["parent"].save()
    application = _submit(world)
    approval = services.application_approve(actor=world.actor("bureau_a"), application_id=application.pk)
    assert approval.username == "org" + CODE[-8:].lower() + "-2"
    assert User.objects.get(username=approval.username).mobile == ""


def test_given_exited_organization_when_new_application_approved_then_it_is_reactivated(world: Any) -> None:
    org = OrganizationFactory(credit_code=CODE, region=world.district_a, status="exited", name="旧名称")
    application = _submit(world)
    services.application_approve(actor=world.actor("bureau_a"), application_id=application.pk)
    org.refresh_from_db()
    assert org.status == "active" and org.name == "海淀星光艺术培训中心"
    assert Organization.objects.filter(credit_code=CODE).count() == 1
    change = OrganizationStatusChange.objects.get(organization=org)
    assert (change.from_status, change.to_status) == ("exited", "active")


def test_given_decided_application_when_approved_or_rejected_again_then_conflict(world: Any) -> None:
    application = _submit(world)
    services.application_approve(actor=world.actor("bureau_a"), application_id=application.pk)
    with pytest.raises(Conflict):
        services.application_approve(actor=world.actor("system"), application_id=application.pk)
    with pytest.raises(Conflict):
        services.application_reject(actor=world.actor("bureau_a"), application_id=application.pk, reason="x")
    assert Organization.objects.filter(credit_code=CODE).count() == 1


def test_given_no_reason_when_rejecting_then_refused_on_service_page_and_api(world: Any, login: Any) -> None:
    application = _submit(world)
    with pytest.raises(ValidationFailed):
        services.application_reject(actor=world.actor("bureau_a"), application_id=application.pk, reason="  ")
    client = login(world.users["bureau_a"])
    response = client.post(reverse("tenancy:application_reject", args=[application.pk]), {"reason": ""})
    assert response.status_code == 422
    api = client.post(f"/api/v1/tenancy/applications/{application.pk}/reject", {"reason": ""}, "application/json")
    assert api.status_code == 422 and {"code", "message", "detail"} <= set(api.json())
    assert OrganizationApplication.objects.get().status == "submitted"


def test_given_bureau_when_rejecting_through_page_then_rejected_with_reason_and_audited(world: Any, login: Any) -> None:
    application = _submit(world)
    client = login(world.users["bureau_a"])
    assert client.get(reverse("tenancy:application_reject", args=[application.pk])).status_code == 200
    response = client.post(reverse("tenancy:application_reject", args=[application.pk]), {"reason": "执照过期"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "rejected" and application.review_comment == "执照过期"
    event = AuditEvent.objects.filter(event="update", object_type__icontains="organizationapplication").get()
    assert event.detail["reason"] == "执照过期"


def test_given_approval_through_page_then_initial_password_is_shown_exactly_once(world: Any, login: Any) -> None:
    application = _submit(world)
    client = login(world.users["bureau_a"])
    confirm = client.get(reverse("tenancy:application_approve", args=[application.pk]))
    assert confirm.status_code == 200 and "确认通过" in confirm.content.decode()
    response = client.post(reverse("tenancy:application_approve", args=[application.pk]), {"comment": "材料齐全"})
    assert response.status_code == 302
    first = client.get(response["Location"])
    secret = first.context["secret"]
    assert escape(secret["password"]) in first.content.decode()
    user = User.objects.get(username=secret["username"])
    assert user.check_password(secret["password"])
    assert first["Cache-Control"] == "no-store"
    second = client.get(response["Location"])
    assert second.context["secret"] is None
    assert escape(secret["password"]) not in second.content.decode()
    assert "已不能再次查看" in second.content.decode()
    assert "tenancy_initial_password" not in client.session


def test_given_api_approval_then_response_carries_org_and_initial_password_once(world: Any, login: Any) -> None:
    application = _submit(world)
    client = login(world.users["bureau_a"])
    response = client.post(f"/api/v1/tenancy/applications/{application.pk}/approve", {}, "application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["organization"]["credit_code"] == CODE and body["organization"]["status"] == "active"
    assert User.objects.get(username=body["username"]).check_password(body["initial_password"])
    detail = client.get(f"/api/v1/tenancy/applications/{application.pk}").json()
    assert detail["status"] == "approved" and "initial_password" not in detail
    again = client.post(f"/api/v1/tenancy/applications/{application.pk}/approve", {}, "application/json")
    assert again.status_code == 409


def test_given_application_history_selector_then_only_earlier_same_code(world: Any) -> None:
    first = _submit(world)
    services.application_reject(actor=world.actor("bureau_a"), application_id=first.pk, reason="x")
    second = _submit(world)
    _submit(world, credit_code=make_credit_code(7300000))
    history = list(selectors.application_history(actor=world.actor("bureau_a"), application=second))
    assert history == [first]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_officers_approving_at_once_then_one_organization_is_created(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    application = _submit(world)
    actors = [world.actor("bureau_a"), world.actor("system")]
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def approve(actor: Any) -> None:
        try:
            barrier.wait()
            results.append(services.application_approve(actor=actor, application_id=application.pk))
        except Exception as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(a,)) for a in actors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, services.Approval) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert Organization.objects.filter(credit_code=CODE).count() == 1
    assert RoleMembership.objects.filter(role="org_admin", organization__credit_code=CODE).count() == 1
