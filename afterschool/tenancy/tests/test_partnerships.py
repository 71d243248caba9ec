"""Organization status with history (暂停、恢复、退出) and partnerships (合作关系)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from afterschool.accounts.choices import OrgPermission, Role
from afterschool.accounts.models import AuditEvent, RoleMembership
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.tenancy import selectors, services
from afterschool.tenancy.models import Organization, OrganizationStatusChange, Partnership
from afterschool.tenancy.tests.factories import OrganizationFactory, PartnershipFactory

D = dt.date


def _set(world: Any, status: str, reason: str = "检查", org: Any = None) -> Organization:
    return services.organization_set_status(
        actor=world.actor("bureau_a"), organization=org or world.org_a, status=status, reason=reason
    )


# --- organization status ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "final"),
    [
        (["suspended"], "suspended"),
        (["suspended", "active"], "active"),
        (["exited"], "exited"),
        (["suspended", "exited"], "exited"),
    ],
)
def test_given_allowed_transitions_when_applied_then_history_rows_are_written(
    world: Any, path: list[str], final: str
) -> None:
    for status in path:
        _set(world, status, reason=f"原因{status}")
    world.org_a.refresh_from_db()
    assert world.org_a.status == final
    rows = list(OrganizationStatusChange.objects.filter(organization=world.org_a).order_by("id"))
    assert [r.to_status for r in rows] == path
    assert rows[0].from_status == "active" and rows[0].changed_by == world.users["bureau_a"]
    assert rows[-1].reason == f"原因{path[-1]}"


@pytest.mark.parametrize("target", ["active", "suspended", "pending"])
def test_given_exited_organization_when_changing_status_by_hand_then_refused(world: Any, target: str) -> None:
    _set(world, "exited")
    with pytest.raises(ValidationFailed) as exc:
        _set(world, target)
    assert "status" in exc.value.detail
    assert Organization.objects.get(pk=world.org_a.pk).status == "exited"
    assert OrganizationStatusChange.objects.filter(organization=world.org_a).count() == 1


def test_given_exit_when_recorded_then_the_organizations_people_lose_their_roles_and_tokens(
    world: Any, login: Any
) -> None:
    from afterschool.accounts.models import ApiToken, RoleMembership
    from afterschool.accounts.services import token_issue

    _, raw = token_issue(actor=world.actor("org_a"), name="教务系统")
    client = login(world.users["org_a"])
    assert client.get("/api/v1/accounts/me").status_code == 200
    _set(world, "exited", reason="停业")
    assert not RoleMembership.objects.filter(organization=world.org_a, is_active=True).exists()
    assert RoleMembership.objects.filter(organization=world.org_b, is_active=True).exists()
    assert ApiToken.objects.get(membership__organization=world.org_a).revoked_at is not None
    assert client.get("/api/v1/tenancy/partnerships").status_code in (401, 403)
    from django.test import Client

    assert Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_given_same_status_or_pending_target_when_changing_then_refused(world: Any) -> None:
    for target in ("active", "pending"):
        with pytest.raises(ValidationFailed):
            _set(world, target)
    assert not OrganizationStatusChange.objects.exists()


def test_given_exit_when_recorded_then_active_partnerships_end_with_reason(world: Any) -> None:
    today = timezone.localdate()
    long_running = Partnership.objects.get(organization=world.org_a)
    later_end = PartnershipFactory(
        school=world.school_a2, organization=world.org_a, starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=100),
    )  # fmt: skip
    earlier_end = PartnershipFactory(
        school=world.school_a2, organization=world.org_a, starts_on=today - dt.timedelta(days=300),
        ends_on=today - dt.timedelta(days=200), status="ended", end_reason="到期",
    )  # fmt: skip
    _set(world, "exited", reason="停业")
    for p in (long_running, later_end):
        p.refresh_from_db()
        assert p.status == "ended" and p.ends_on == max(today, p.starts_on) and p.end_reason == "机构退出"
    earlier_end.refresh_from_db()
    assert earlier_end.end_reason == "到期" and earlier_end.ends_on == today - dt.timedelta(days=200)
    assert Partnership.objects.get(organization=world.org_b).status == "active"


def test_given_bureau_when_suspending_through_page_then_confirmation_lists_partner_schools(
    world: Any, login: Any
) -> None:
    client = login(world.users["bureau_a"])
    url = reverse("tenancy:organization_status", args=[world.org_a.pk])
    page = client.get(url)
    assert [c[0] for c in page.context["form"].fields["status"].choices] == ["suspended", "exited"]
    confirm = client.post(url, {"status": "suspended", "reason": "安全检查"})
    assert confirm.status_code == 200 and "海淀实验小学" in confirm.content.decode()
    assert Organization.objects.get(pk=world.org_a.pk).status == "active"
    done = client.post(url, {"status": "suspended", "reason": "安全检查", "confirmed": "1"})
    assert done.status_code == 302
    assert Organization.objects.get(pk=world.org_a.pk).status == "suspended"
    detail = client.get(reverse("tenancy:organization_detail", args=[world.org_a.pk])).content.decode()
    assert "安全检查" in detail and "状态变更记录" in detail
    assert reverse("courses:organization_overview", args=[world.org_a.pk]) in detail


def test_given_no_reason_on_page_when_suspending_then_form_error(world: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    response = client.post(reverse("tenancy:organization_status", args=[world.org_a.pk]), {"status": "exited"})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    assert Organization.objects.get(pk=world.org_a.pk).status == "active"


@pytest.mark.parametrize("key", ["school_a", "org_a"])
def test_given_non_bureau_when_opening_status_page_then_refused(world: Any, login: Any, key: str) -> None:
    response = login(world.users[key]).get(reverse("tenancy:organization_status", args=[world.org_a.pk]))
    assert response.status_code == 403


def test_given_other_district_bureau_then_status_page_history_and_api_answer_404(world: Any, login: Any) -> None:
    client = login(world.users["bureau_b"])
    assert client.get(reverse("tenancy:organization_status", args=[world.org_a.pk])).status_code == 404
    assert client.get(f"/api/v1/tenancy/organizations/{world.org_a.pk}/status-history").status_code == 404
    response = client.post(
        f"/api/v1/tenancy/organizations/{world.org_a.pk}/status",
        {"status": "suspended", "reason": "x"},
        "application/json",
    )
    assert response.status_code == 404


def test_given_api_status_change_then_history_endpoint_lists_it(world: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    url = f"/api/v1/tenancy/organizations/{world.org_a.pk}"
    assert client.post(f"{url}/status", {"status": "exited", "reason": ""}, "application/json").status_code == 422
    assert (
        client.post(f"{url}/status", {"status": "suspended", "reason": "整改"}, "application/json").status_code == 200
    )
    history = client.get(f"{url}/status-history").json()
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in history] == [("active", "suspended", "整改")]


# --- partnerships: school admin writes --------------------------------------------------------------------------


def test_given_school_admin_when_creating_with_active_org_of_region_then_created_and_audited(world: Any) -> None:
    org = OrganizationFactory(region=world.district_a)
    p = services.partnership_create(
        actor=world.actor("school_a"), school=world.school_a, organization=org, starts_on=D(2026, 9, 1)
    )
    assert p.status == "active" and p.ends_on is None
    assert AuditEvent.objects.filter(event="create", object_id=str(p.pk)).exists()


@pytest.mark.parametrize("status", ["suspended", "exited", "pending"])
def test_given_inactive_organization_when_creating_then_refused(world: Any, status: str) -> None:
    org = OrganizationFactory(region=world.district_a, status=status)
    with pytest.raises(ValidationFailed) as exc:
        services.partnership_create(
            actor=world.actor("school_a"), school=world.school_a, organization=org, starts_on=D(2026, 9, 1)
        )
    assert "organization" in exc.value.detail


def test_given_organization_of_other_district_when_creating_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.partnership_create(
            actor=world.actor("school_a"), school=world.school_a, organization=world.org_b, starts_on=D(2026, 9, 1)
        )


def test_given_other_school_when_school_admin_creates_for_it_then_404(world: Any) -> None:
    with pytest.raises(NotFound):
        services.partnership_create(
            actor=world.actor("school_a"), school=world.school_a2, organization=world.org_a, starts_on=D(2026, 9, 1)
        )


@pytest.mark.parametrize("key", ["bureau_a", "org_a", "teacher_a"])
def test_given_non_school_role_when_creating_then_permission_denied(world: Any, key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.partnership_create(
            actor=world.actor(key), school=world.school_a, organization=world.org_a, starts_on=D(2026, 9, 1)
        )


@pytest.mark.parametrize(
    ("existing", "new", "clash"),
    [
        ((D(2026, 1, 1), None), (D(2027, 1, 1), None), True),
        ((D(2026, 1, 1), D(2026, 6, 30)), (D(2026, 6, 30), D(2026, 12, 31)), True),
        ((D(2026, 1, 1), D(2026, 6, 30)), (D(2025, 1, 1), None), True),
        ((D(2026, 1, 1), D(2026, 6, 30)), (D(2026, 7, 1), None), False),
        ((D(2026, 1, 1), D(2026, 6, 30)), (D(2025, 1, 1), D(2025, 12, 31)), False),
    ],
)
def test_overlapping_active_partnerships_of_same_pair_are_refused(
    world: Any, existing: tuple[Any, Any], new: tuple[Any, Any], clash: bool
) -> None:
    Partnership.objects.filter(school=world.school_a, organization=world.org_a).update(
        starts_on=existing[0], ends_on=existing[1]
    )

    def create() -> Partnership:
        return services.partnership_create(
            actor=world.actor("school_a"), school=world.school_a, organization=world.org_a,
            starts_on=new[0], ends_on=new[1],
        )  # fmt: skip

    if clash:
        with pytest.raises(ValidationFailed) as exc:
            create()
        assert "重叠" in exc.value.detail["starts_on"][0]
    else:
        assert create().pk


def test_given_ended_partnership_when_new_one_overlaps_its_dates_then_allowed(world: Any) -> None:
    p = Partnership.objects.get(school=world.school_a, organization=world.org_a)
    services.partnership_end(actor=world.actor("school_a"), partnership=p, reason="调整")
    assert services.partnership_create(
        actor=world.actor("school_a"), school=world.school_a, organization=world.org_a, starts_on=p.starts_on
    ).pk


def test_given_end_before_start_when_creating_or_editing_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.partnership_create(
            actor=world.actor("school_a"), school=world.school_a, organization=world.org_a,
            starts_on=D(2030, 2, 1), ends_on=D(2030, 1, 1),
        )  # fmt: skip
    assert "ends_on" in exc.value.detail
    p = Partnership.objects.get(school=world.school_a)
    with pytest.raises(ValidationFailed):
        services.partnership_update(
            actor=world.actor("school_a"), partnership=p, data={"ends_on": p.starts_on - dt.timedelta(days=1)}
        )


def test_given_active_partnership_when_dates_edited_then_saved_and_audited(world: Any) -> None:
    p = Partnership.objects.get(school=world.school_a)
    services.partnership_update(
        actor=world.actor("school_a"), partnership=p, data={"starts_on": D(2026, 1, 1), "ends_on": D(2026, 12, 31)}
    )
    p.refresh_from_db()
    assert (p.starts_on, p.ends_on) == (D(2026, 1, 1), D(2026, 12, 31))
    assert AuditEvent.objects.filter(event="update", object_id=str(p.pk)).exists()


def test_given_partnership_when_ended_then_reason_required_status_ended_and_no_more_edits(world: Any) -> None:
    p = Partnership.objects.get(school=world.school_a)
    with pytest.raises(ValidationFailed):
        services.partnership_end(actor=world.actor("school_a"), partnership=p, reason=" ")
    services.partnership_end(actor=world.actor("school_a"), partnership=p, reason="合同到期")
    p.refresh_from_db()
    assert p.status == "ended" and p.end_reason == "合同到期"
    assert p.ends_on == max(timezone.localdate(), p.starts_on)
    with pytest.raises(Conflict):
        services.partnership_end(actor=world.actor("school_a"), partnership=p, reason="again")
    with pytest.raises(Conflict):
        services.partnership_update(actor=world.actor("school_a"), partnership=p, data={"ends_on": None})


def test_given_other_school_admin_when_ending_then_404(world: Any) -> None:
    p = Partnership.objects.get(school=world.school_a)
    with pytest.raises(NotFound):
        services.partnership_end(actor=world.actor("school_a2"), partnership=p, reason="x")


# --- partnerships: reading --------------------------------------------------------------------------------------


def test_each_role_reads_only_its_own_partnerships(world: Any) -> None:
    def ids(key: str) -> set[int]:
        return {p.school_id for p in selectors.partnership_list(actor=world.actor(key))}

    assert ids("bureau_a") == {world.school_a.pk}
    assert ids("bureau_b") == {world.school_b.pk}
    assert ids("school_a") == {world.school_a.pk}
    assert ids("school_a2") == set()
    assert ids("org_a") == {world.school_a.pk}
    assert ids("org_b") == {world.school_b.pk}
    assert ids("system") == {world.school_a.pk, world.school_b.pk}


def test_given_org_staff_with_and_without_partnership_view_then_sees_or_not(world: Any) -> None:
    from afterschool.tenancy.actor import Actor

    user = UserFactory(username="staff_a")
    membership = MembershipFactory(user=user, role=Role.ORG_STAFF, organization=world.org_a)
    without = Actor(user=user, membership=membership, permissions=frozenset())
    with_view = Actor(user=user, membership=membership, permissions=frozenset({OrgPermission.PARTNERSHIP_VIEW}))
    p = Partnership.objects.get(organization=world.org_a)
    assert not selectors.partnership_list(actor=without).exists()
    with pytest.raises(NotFound):
        selectors.partnership_get(actor=without, partnership_id=p.pk)
    assert selectors.partnership_get(actor=with_view, partnership_id=p.pk) == p
    assert RoleMembership.objects.filter(role=Role.ORG_STAFF).count() == 1


def test_given_bureau_when_listing_partnerships_page_then_filters_and_export_work(world: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    url = reverse("tenancy:partnership_list")
    page = client.get(url)
    assert page.status_code == 200 and page.context["page"].count == 1
    assert not page.context["can_create"]
    assert client.get(url, {"status": "ended"}).context["page"].count == 0
    assert client.get(url, {"school": str(world.school_a.pk)}).context["page"].count == 1
    export = client.get(url, {"export": "xlsx"})
    assert export.status_code == 200
    assert AuditEvent.objects.filter(event="export", detail__what="partnership").exists()
    assert client.get(reverse("tenancy:partnership_create")).status_code == 403


def test_cross_tenant_partnership_reads_are_404_on_pages_and_api(world: Any, login: Any) -> None:
    p = Partnership.objects.get(organization=world.org_a)
    for key in ("bureau_b", "school_b", "org_b", "school_a2"):
        client = login(world.users[key])
        assert client.get(reverse("tenancy:partnership_detail", args=[p.pk])).status_code == 404, key
        assert client.get(f"/api/v1/tenancy/partnerships/{p.pk}").status_code == 404, key
    client = login(world.users["org_b"])
    assert client.get("/api/v1/tenancy/partnerships").json()["count"] == 1


def test_given_school_admin_when_using_pages_then_create_edit_and_end(world: Any, login: Any) -> None:
    org = OrganizationFactory(region=world.district_a, name="海淀新机构")
    OrganizationFactory(region=world.district_a, name="暂停的机构", status="suspended")
    OrganizationFactory(region=world.district_b, name="外区机构")
    client = login(world.users["school_a"])
    form = client.get(reverse("tenancy:partnership_create")).context["form"]
    names = {o.name for o in form.fields["organization"].queryset}
    assert "海淀新机构" in names and "暂停的机构" not in names and "外区机构" not in names
    assert "school" not in form.fields
    response = client.post(
        reverse("tenancy:partnership_create"), {"organization": org.pk, "starts_on": "2026-09-01", "ends_on": ""}
    )
    assert response.status_code == 302, response.content.decode()
    p = Partnership.objects.get(organization=org)
    assert p.school == world.school_a
    edit = client.post(
        reverse("tenancy:partnership_edit", args=[p.pk]), {"starts_on": "2026-09-01", "ends_on": "2027-07-01"}
    )
    assert edit.status_code == 302
    p.refresh_from_db()
    assert p.ends_on == D(2027, 7, 1)
    assert client.get(reverse("tenancy:partnership_end", args=[p.pk])).status_code == 200
    assert client.post(reverse("tenancy:partnership_end", args=[p.pk]), {"reason": ""}).status_code == 422
    assert client.post(reverse("tenancy:partnership_end", args=[p.pk]), {"reason": "课程调整"}).status_code == 302
    p.refresh_from_db()
    assert p.status == "ended" and p.end_reason == "课程调整"


def test_given_overlap_on_page_then_form_shows_chinese_error(world: Any, login: Any) -> None:
    existing = Partnership.objects.get(school=world.school_a)
    client = login(world.users["school_a"])
    response = client.post(
        reverse("tenancy:partnership_create"),
        {"organization": world.org_a.pk, "starts_on": existing.starts_on.isoformat()},
    )
    assert response.status_code == 200 and "重叠" in response.content.decode()


def test_partnership_api_crud_and_end(world: Any, login: Any) -> None:
    org = OrganizationFactory(region=world.district_a)
    client = login(world.users["school_a"])
    created = client.post(
        "/api/v1/tenancy/partnerships", {"organization_id": org.pk, "starts_on": "2026-09-01"}, "application/json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    patched = client.patch(f"/api/v1/tenancy/partnerships/{pk}", {"ends_on": "2027-01-31"}, "application/json")
    assert patched.status_code == 200 and patched.json()["ends_on"] == "2027-01-31"
    bad = client.patch(f"/api/v1/tenancy/partnerships/{pk}", {"ends_on": "2020-01-01"}, "application/json")
    assert bad.status_code == 422
    ended = client.post(f"/api/v1/tenancy/partnerships/{pk}/end", {"reason": "结束"}, "application/json")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert client.post(f"/api/v1/tenancy/partnerships/{pk}/end", {"reason": "x"}, "application/json").status_code == 409
    bureau = login(world.users["bureau_a"])
    refused = bureau.post(
        "/api/v1/tenancy/partnerships",
        {"school_id": world.school_a.pk, "organization_id": org.pk, "starts_on": "2028-01-01"},
        "application/json",
    )
    assert refused.status_code == 403
