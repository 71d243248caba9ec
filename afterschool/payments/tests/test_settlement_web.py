"""Settlement through the API and the pages: who may do what, cross-tenant 404s, the export."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from afterschool.accounts.models import AuditEvent
from afterschool.payments.models import SettlementBill, SettlementTerms
from afterschool.payments.services import settlement as services

from .factories_settlement import terms

pytestmark = pytest.mark.django_db

API = "/api/v1/payments/settlement"
OCT = {"period_start": "2026-10-01", "period_end": "2026-10-31"}


def _bill(world: Any) -> SettlementBill:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    return services.bill_raise(
        actor=world.actor("school_a"), school=world.school_a, organization=world.org_a,
        period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 10, 31),
    )  # fmt: skip


# --- API ----------------------------------------------------------------------------------------------------


def test_given_school_admin_when_terms_crud_via_api_then_works(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    body = {"organization_id": world.org_a.pk, "mode": "fee_share", "share_permille": 150, "starts_on": "2026-09-01"}
    response = client.post(f"{API}/terms", body, content_type="application/json")
    assert response.status_code == 201, response.content
    terms_id = response.json()["id"]
    assert response.json()["school_id"] == world.school_a.pk
    response = client.patch(f"{API}/terms/{terms_id}", {"note": "按学期"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["note"] == "按学期"
    overlap = client.post(f"{API}/terms", {**body, "starts_on": "2027-01-01"}, content_type="application/json")
    assert overlap.status_code == 422
    assert (
        client.post(f"{API}/terms", {**body, "share_permille": 1001}, content_type="application/json").status_code
        == 422
    )
    assert client.get(f"{API}/terms").json()["count"] == 1
    assert client.delete(f"{API}/terms/{terms_id}").status_code == 204
    assert not SettlementTerms.objects.exists()


def test_given_other_roles_when_terms_api_then_read_only_or_404(world: Any, login: Any) -> None:
    t = terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    body = {"organization_id": world.org_a.pk, "mode": "per_lesson", "rate_fen": 1, "starts_on": "2030-01-01"}
    bureau = login(world.users["bureau_a"])
    assert bureau.get(f"{API}/terms/{t.pk}").status_code == 200
    assert bureau.post(f"{API}/terms", body, content_type="application/json").status_code == 403
    assert login(world.users["org_a"]).get(f"{API}/terms/{t.pk}").status_code == 200
    assert login(world.users["org_b"]).get(f"{API}/terms/{t.pk}").status_code == 404
    assert login(world.users["bureau_b"]).get(f"{API}/terms/{t.pk}").status_code == 404
    teacher = login(world.users["teacher_a"])
    assert teacher.get(f"{API}/terms/{t.pk}").status_code == 404
    assert teacher.post(f"{API}/terms", body, content_type="application/json").status_code == 403
    assert (
        login(world.users["school_a2"])
        .patch(f"{API}/terms/{t.pk}", {"note": "x"}, content_type="application/json")
        .status_code
        == 404
    )


def test_given_bill_when_full_flow_via_api_then_paid(world: Any, login: Any) -> None:
    terms(world.school_a, world.org_a, mode="per_lesson", rate_fen=100)
    org = login(world.users["org_a"])
    response = org.post(f"{API}/bills", {**OCT, "school_id": world.school_a.pk}, content_type="application/json")
    assert response.status_code == 201, response.content
    bill_id = response.json()["id"]
    assert response.json()["raised_by"] == "organization"
    assert (
        org.post(f"{API}/bills", {**OCT, "school_id": world.school_a.pk}, content_type="application/json").status_code
        == 409
    )
    school = login(world.users["school_a"])
    bureau = login(world.users["bureau_a"])
    assert bureau.post(f"{API}/bills/{bill_id}/review", {}, content_type="application/json").status_code == 409
    assert org.post(f"{API}/bills/{bill_id}/approve", {}, content_type="application/json").status_code == 403
    assert (
        school.post(f"{API}/bills/{bill_id}/approve", {"comment": "好"}, content_type="application/json").status_code
        == 200
    )
    assert (
        login(world.users["bureau_b"])
        .post(f"{API}/bills/{bill_id}/review", {}, content_type="application/json")
        .status_code
        == 404
    )
    assert bureau.post(f"{API}/bills/{bill_id}/review", {}, content_type="application/json").status_code == 200
    response = school.post(f"{API}/bills/{bill_id}/pay", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "paid"
    detail = org.get(f"{API}/bills/{bill_id}").json()
    assert [e["to_status"] for e in detail["events"]] == ["submitted", "school_approved", "bureau_reviewed", "paid"]


def test_given_reject_via_api_then_reason_required(world: Any, login: Any) -> None:
    bill = _bill(world)
    school = login(world.users["school_a"])
    assert (
        school.post(f"{API}/bills/{bill.pk}/reject", {"reason": ""}, content_type="application/json").status_code == 422
    )
    response = school.post(f"{API}/bills/{bill.pk}/reject", {"reason": "课次不符"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_given_bills_then_each_side_lists_only_its_own(world: Any, login: Any) -> None:
    bill = _bill(world)
    for key in ("school_a", "org_a", "bureau_a", "system"):
        client = login(world.users[key])
        assert client.get(f"{API}/bills").json()["count"] == 1, key
        assert client.get(f"{API}/bills/{bill.pk}").status_code == 200, key
    for key in ("org_b", "bureau_b", "school_a2", "teacher_a", "orgteacher_a"):
        client = login(world.users[key])
        assert client.get(f"{API}/bills").json()["count"] == 0, key
        assert client.get(f"{API}/bills/{bill.pk}").status_code == 404, key
    school = login(world.users["school_a"])
    assert school.get(f"{API}/bills", {"status": "paid"}).json()["count"] == 0
    assert school.get(f"{API}/bills", {"period": "2026-10"}).json()["count"] == 1
    assert school.get(f"{API}/bills", {"period": "2026-09"}).json()["count"] == 0
    assert school.get(f"{API}/bills", {"organization_id": world.org_b.pk}).json()["count"] == 0
    assert school.get(f"{API}/bills", {"period": "x"}).status_code == 422


def test_given_bad_raise_input_via_api_then_4xx(world: Any, login: Any) -> None:
    school = login(world.users["school_a"])
    assert school.post(f"{API}/bills", {**OCT}, content_type="application/json").status_code == 422
    assert (
        school.post(
            f"{API}/bills", {**OCT, "organization_id": world.org_b.pk}, content_type="application/json"
        ).status_code
        == 422
    )
    assert (
        school.post(
            f"{API}/bills", {**OCT, "organization_id": world.org_a.pk}, content_type="application/json"
        ).status_code
        == 422
    )  # no terms
    teacher = login(world.users["teacher_a"])
    assert (
        teacher.post(
            f"{API}/bills", {**OCT, "organization_id": world.org_a.pk}, content_type="application/json"
        ).status_code
        == 403
    )


# --- pages --------------------------------------------------------------------------------------------------


def test_given_school_admin_when_using_pages_then_terms_raise_approve(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    assert client.get(reverse("payments:settlement_terms")).status_code == 200
    response = client.post(
        reverse("payments:settlement_terms_create"),
        {"organization": world.org_a.pk, "mode": "per_lesson", "rate_fen": "", "share_permille": 0,
         "starts_on": "2026-09-01"},
    )  # fmt: skip
    assert response.status_code == 200 and "单价" in response.content.decode()
    response = client.post(
        reverse("payments:settlement_terms_create"),
        {"organization": world.org_a.pk, "mode": "per_lesson", "rate_fen": 5000, "share_permille": 0,
         "starts_on": "2026-09-01"},
    )  # fmt: skip
    assert response.status_code == 302
    assert client.get(reverse("payments:bill_raise")).status_code == 200
    response = client.post(reverse("payments:bill_raise"), {"organization": world.org_a.pk, **OCT})
    assert response.status_code == 302
    bill = SettlementBill.objects.get()
    page = client.get(reverse("payments:bill_detail", args=[bill.pk])).content.decode()
    assert "金额明细" in page and "学校确认" in page
    response = client.post(reverse("payments:bill_step", args=[bill.pk, "approve"]), {"comment": ""})
    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.status == "school_approved"
    # a second approve is refused and shown as a message, the status is unchanged
    client.post(reverse("payments:bill_step", args=[bill.pk, "approve"]), {"comment": ""})
    bill.refresh_from_db()
    assert bill.status == "school_approved"


def test_given_bills_when_listing_pages_then_scoped_and_export_audited(world: Any, login: Any) -> None:
    bill = _bill(world)
    client = login(world.users["school_a"])
    page = client.get(reverse("payments:bill_list"), {"status": "submitted", "period": "2026-10"})
    assert page.status_code == 200 and bill.bill_no in page.content.decode()
    export = client.get(reverse("payments:bill_list"), {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(event="export", username="school_a").exists()
    assert bill.bill_no not in login(world.users["org_b"]).get(reverse("payments:bill_list")).content.decode()
    assert login(world.users["org_b"]).get(reverse("payments:bill_detail", args=[bill.pk])).status_code == 404
    assert login(world.users["bureau_b"]).get(reverse("payments:bill_detail", args=[bill.pk])).status_code == 404
    assert login(world.users["bureau_a"]).get(reverse("payments:bill_detail", args=[bill.pk])).status_code == 200
    assert login(world.users["org_a"]).get(reverse("payments:bill_detail", args=[bill.pk])).status_code == 200
    teacher = login(world.users["teacher_a"])
    assert teacher.get(reverse("payments:bill_list")).status_code == 403
    assert teacher.get(reverse("payments:bill_detail", args=[bill.pk])).status_code == 403
    assert teacher.get(reverse("payments:settlement_terms")).status_code == 403
    assert teacher.get(reverse("payments:bill_raise")).status_code == 403


def test_given_org_b_when_stepping_org_a_bill_via_page_then_404(world: Any, login: Any) -> None:
    bill = _bill(world)
    response = login(world.users["org_b"]).post(reverse("payments:bill_step", args=[bill.pk, "approve"]), {})
    assert response.status_code == 404
    response = login(world.users["org_a"]).post(reverse("payments:bill_step", args=[bill.pk, "approve"]), {})
    assert response.status_code == 403
