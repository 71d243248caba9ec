"""Write services of regions, schools and organizations: who may write what, validation, refusal, audit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.tenancy import services
from afterschool.tenancy.models import Organization, Region, School
from afterschool.tenancy.tests.factories import (
    OrganizationFactory,
    PartnershipFactory,
    ProvinceFactory,
    SchoolFactory,
    make_credit_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def _school_data(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "code": "2111080099",
        "name": "海淀新建小学",
        "region": world.district_a,
        "school_type": "primary",
        "nature": "public",
        "address": "海淀路 9 号",
    }
    data.update(overrides)
    return data


def _audit(event: str, obj: Any) -> Any:
    return AuditEvent.objects.filter(event=event, object_type=obj._meta.label_lower, object_id=str(obj.pk))


# --- schools: create ----------------------------------------------------------------------------


def test_bureau_creates_school_in_own_district_and_it_is_audited(world: Any) -> None:
    actor = world.actor("bureau_a")
    school = services.school_create(actor=actor, data=_school_data(world))
    school = School.objects.get(pk=school.pk)
    assert (school.code, school.name, school.region_id) == ("2111080099", "海淀新建小学", world.district_a.pk)
    events = AuditEvent.objects.filter(event="create", object_type="tenancy.school", object_id=str(school.pk))
    assert events.count() == 1
    event = events.get()
    assert event.user_id == world.users["bureau_a"].pk
    assert event.role == "bureau_admin"
    assert event.outcome == "success"


def test_system_admin_creates_school_in_any_district(world: Any) -> None:
    school = services.school_create(
        actor=world.actor("system"), data=_school_data(world, code="2111050099", region=world.district_b)
    )
    assert School.objects.filter(pk=school.pk, region=world.district_b).exists()


def test_bureau_cannot_create_school_in_another_district(world: Any) -> None:
    before = AuditEvent.objects.filter(event="create").count()
    with pytest.raises(PermissionDenied):
        services.school_create(actor=world.actor("bureau_a"), data=_school_data(world, region=world.district_b))
    assert not School.objects.filter(code="2111080099").exists()
    assert AuditEvent.objects.filter(event="create").count() == before


@pytest.mark.parametrize("key", ["school_a", "teacher_a", "org_a", "orgteacher_a", "parent", "student"])
def test_non_bureau_roles_cannot_create_school(world: Any, key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.school_create(actor=world.actor(key), data=_school_data(world))
    assert not School.objects.filter(code="2111080099").exists()


def test_school_code_whose_province_digits_do_not_match_the_region_is_rejected_on_code(world: Any) -> None:
    # 12 = 天津, but 海淀区 is in 北京 (11).
    with pytest.raises(ValidationFailed) as exc_info:
        services.school_create(actor=world.actor("bureau_a"), data=_school_data(world, code="2112080099"))
    assert set(exc_info.value.detail) == {"code"}
    assert "11" in exc_info.value.detail["code"][0]
    assert exc_info.value.status == 422
    assert not School.objects.filter(code="2112080099").exists()


def test_school_code_with_unknown_category_is_rejected_on_code(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc_info:
        services.school_create(actor=world.actor("bureau_a"), data=_school_data(world, code="9911080099"))
    assert "code" in exc_info.value.detail
    assert "学校类别码" in exc_info.value.detail["code"][0]


def test_duplicate_school_code_is_rejected(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc_info:
        services.school_create(actor=world.actor("bureau_a"), data=_school_data(world, code=world.school_a.code))
    assert "code" in exc_info.value.detail
    assert School.objects.filter(code=world.school_a.code).count() == 1


def test_school_must_belong_to_a_district_not_a_city(world: Any) -> None:
    city = world.district_a.parent
    with pytest.raises(ValidationFailed) as exc_info:
        services.school_create(actor=world.actor("system"), data=_school_data(world, region=city))
    assert "region" in exc_info.value.detail


def test_school_without_required_fields_is_rejected_per_field(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc_info:
        services.school_create(
            actor=world.actor("system"), data={"code": "2111080099", "region": world.district_a, "name": ""}
        )
    assert {"name", "school_type"} <= set(exc_info.value.detail)


# --- schools: update ----------------------------------------------------------------------------


def test_school_admin_edits_contact_data_of_own_school(world: Any) -> None:
    actor = world.actor("school_a")
    services.school_update(
        actor=actor,
        school=world.school_a,
        data={
            "address": "海淀新路 1 号",
            "longitude": Decimal("116.310000"),
            "latitude": Decimal("39.990000"),
            "contact_phone": "010-62345678",
        },
    )
    school = School.objects.get(pk=world.school_a.pk)
    assert school.address == "海淀新路 1 号"
    assert school.longitude == Decimal("116.310000")
    assert school.latitude == Decimal("39.990000")
    assert school.contact_phone == "010-62345678"
    event = _audit("update", school).get()
    assert set(event.detail["changes"]) == {"address", "longitude", "latitude", "contact_phone"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "改名小学"),
        ("code", "2111089999"),
        ("school_type", "junior"),
        ("nature", "private"),
        ("is_active", False),
    ],
)
def test_school_admin_cannot_change_fields_other_than_contact_data(world: Any, field: str, value: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.school_update(
            actor=world.actor("school_a"), school=world.school_a, data={field: value, "address": "新地址"}
        )
    school = School.objects.get(pk=world.school_a.pk)
    assert getattr(school, field) != value
    assert school.address != "新地址"
    assert not _audit("update", school).exists()


def test_school_admin_cannot_move_own_school_to_another_district(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.school_update(actor=world.actor("school_a"), school=world.school_a, data={"region": world.district_b})
    assert School.objects.get(pk=world.school_a.pk).region_id == world.district_a.pk


def test_school_admin_resubmitting_unchanged_name_is_allowed(world: Any) -> None:
    services.school_update(
        actor=world.actor("school_a"),
        school=world.school_a,
        data={"name": world.school_a.name, "code": world.school_a.code, "contact_phone": "13800000000"},
    )
    assert School.objects.get(pk=world.school_a.pk).contact_phone == "13800000000"


def test_school_admin_cannot_edit_another_school(world: Any) -> None:
    with pytest.raises(NotFound):
        services.school_update(actor=world.actor("school_a"), school=world.school_a2, data={"address": "x"})
    assert School.objects.get(pk=world.school_a2.pk).address != "x"


@pytest.mark.parametrize("key", ["teacher_a", "org_a"])
def test_other_roles_cannot_edit_a_school_they_can_see(world: Any, key: str) -> None:
    # teacher_a belongs to school_a; org_a is a partner of school_a.
    with pytest.raises(PermissionDenied):
        services.school_update(actor=world.actor(key), school=world.school_a, data={"address": "x"})
    assert School.objects.get(pk=world.school_a.pk).address != "x"


@pytest.mark.parametrize("key", ["student", "parent", "orgteacher_a"])
def test_self_scoped_and_org_teacher_roles_cannot_edit_a_school(world: Any, key: str) -> None:
    with pytest.raises((PermissionDenied, NotFound)):
        services.school_update(actor=world.actor(key), school=world.school_a, data={"address": "x"})
    assert School.objects.get(pk=world.school_a.pk).address != "x"


def test_bureau_renames_school_in_own_district_and_it_is_audited_with_the_change(world: Any) -> None:
    services.school_update(actor=world.actor("bureau_a"), school=world.school_a2, data={"name": "海淀第二小学"})
    school = School.objects.get(pk=world.school_a2.pk)
    assert school.name == "海淀第二小学"
    assert _audit("update", school).get().detail["changes"]["name"] == ["海淀二小", "海淀第二小学"]


def test_bureau_cannot_move_school_to_another_district(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.school_update(actor=world.actor("bureau_a"), school=world.school_a2, data={"region": world.district_b})
    assert School.objects.get(pk=world.school_a2.pk).region_id == world.district_a.pk


def test_bureau_cannot_edit_school_in_another_district(world: Any) -> None:
    with pytest.raises(NotFound):
        services.school_update(actor=world.actor("bureau_a"), school=world.school_b, data={"name": "x"})
    assert School.objects.get(pk=world.school_b.pk).name == "朝阳实验小学"


def test_bureau_changing_code_to_another_province_is_rejected_on_code(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc_info:
        services.school_update(actor=world.actor("bureau_a"), school=world.school_a2, data={"code": "2131080002"})
    assert "code" in exc_info.value.detail
    assert School.objects.get(pk=world.school_a2.pk).code == "2111080002"


# --- schools: delete ----------------------------------------------------------------------------


def test_deleting_school_referenced_by_a_partnership_is_refused(world: Any) -> None:
    school = SchoolFactory(code="2111080050", region=world.district_a)
    PartnershipFactory(school=school, organization=world.org_a)
    with pytest.raises(Conflict) as exc_info:
        services.school_delete(actor=world.actor("bureau_a"), school=school)
    exc = exc_info.value
    assert exc.code == "in_use"
    assert exc.status == 409
    assert "合作关系" in exc.message and "学校" in exc.message and "不能删除" in exc.message
    assert exc.detail == {"referenced_by": ["合作关系"]}
    assert School.objects.filter(pk=school.pk).exists()


def test_deleting_school_referenced_by_a_role_membership_is_refused(world: Any) -> None:
    # school_a2 has only its admin's membership referring to it.
    with pytest.raises(Conflict) as exc_info:
        services.school_delete(actor=world.actor("bureau_a"), school=world.school_a2)
    assert exc_info.value.code == "in_use"
    assert "角色授权" in exc_info.value.message
    assert exc_info.value.detail == {"referenced_by": ["角色授权"]}
    assert School.objects.filter(pk=world.school_a2.pk).exists()


def test_refusal_names_every_kind_of_reference(world: Any) -> None:
    with pytest.raises(Conflict) as exc_info:
        services.school_delete(actor=world.actor("system"), school=world.school_a)
    assert "合作关系" in exc_info.value.message and "角色授权" in exc_info.value.message
    assert set(exc_info.value.detail["referenced_by"]) == {"合作关系", "角色授权"}
    assert School.objects.filter(pk=world.school_a.pk).exists()


def test_refused_delete_leaves_no_delete_audit_row(world: Any) -> None:
    with pytest.raises(Conflict):
        services.school_delete(actor=world.actor("bureau_a"), school=world.school_a2)
    assert not _audit("delete", world.school_a2).exists()


def test_deleting_unreferenced_school_works_and_is_audited(world: Any) -> None:
    school = SchoolFactory(code="2111080051", name="待撤销小学", region=world.district_a)
    pk = school.pk
    services.school_delete(actor=world.actor("bureau_a"), school=school)
    assert not School.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(event="delete", object_type="tenancy.school", object_id=str(pk))
    assert event.object_repr == "待撤销小学"
    assert event.user_id == world.users["bureau_a"].pk


def test_bureau_cannot_delete_school_in_another_district(world: Any) -> None:
    school = SchoolFactory(code="2111050051", region=world.district_b)
    with pytest.raises(NotFound):
        services.school_delete(actor=world.actor("bureau_a"), school=school)
    assert School.objects.filter(pk=school.pk).exists()


def test_school_admin_cannot_delete_own_school(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.school_delete(actor=world.actor("school_a"), school=world.school_a)
    assert School.objects.filter(pk=world.school_a.pk).exists()


# --- organizations ------------------------------------------------------------------------------


def test_bureau_suspending_organization_without_reason_is_rejected(world: Any) -> None:
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as exc_info:
            services.organization_set_status(
                actor=world.actor("bureau_a"), organization=world.org_a, status="suspended", reason=reason
            )
        assert "reason" in exc_info.value.detail
    assert Organization.objects.get(pk=world.org_a.pk).status == "active"
    assert not _audit("update", world.org_a).exists()


def test_bureau_recording_exit_without_reason_is_rejected(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc_info:
        services.organization_set_status(actor=world.actor("bureau_a"), organization=world.org_a, status="exited")
    assert "reason" in exc_info.value.detail
    assert Organization.objects.get(pk=world.org_a.pk).status == "active"


def test_bureau_suspends_organization_with_reason_and_it_is_audited_with_the_reason(world: Any) -> None:
    services.organization_set_status(
        actor=world.actor("bureau_a"), organization=world.org_a, status="suspended", reason="  安全检查未通过 "
    )
    assert Organization.objects.get(pk=world.org_a.pk).status == "suspended"
    event = _audit("update", world.org_a).get()
    assert event.detail["reason"] == "安全检查未通过"
    assert event.detail["changes"] == {"status": ["active", "suspended"]}
    assert event.user_id == world.users["bureau_a"].pk


def test_bureau_activates_pending_organization_without_reason(world: Any) -> None:
    org = OrganizationFactory(region=world.district_a, status="pending")
    services.organization_set_status(actor=world.actor("bureau_a"), organization=org, status="active")
    assert Organization.objects.get(pk=org.pk).status == "active"


def test_unknown_organization_status_is_rejected(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc_info:
        services.organization_set_status(
            actor=world.actor("bureau_a"), organization=world.org_a, status="closed", reason="x"
        )
    assert "status" in exc_info.value.detail


@pytest.mark.parametrize("key", ["org_a", "school_a", "teacher_a"])
def test_non_bureau_roles_cannot_change_organization_status(world: Any, key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.organization_set_status(
            actor=world.actor(key), organization=world.org_a, status="suspended", reason="x"
        )
    assert Organization.objects.get(pk=world.org_a.pk).status == "active"


def test_bureau_cannot_change_status_of_organization_in_another_district(world: Any) -> None:
    with pytest.raises(NotFound):
        services.organization_set_status(
            actor=world.actor("bureau_a"), organization=world.org_b, status="suspended", reason="x"
        )
    assert Organization.objects.get(pk=world.org_b.pk).status == "active"


def test_org_admin_edits_contact_fields_of_own_organization(world: Any) -> None:
    services.organization_update(
        actor=world.actor("org_a"),
        organization=world.org_a,
        data={"contact_name": "王老师", "contact_phone": "13900000000", "address": "海淀路 2 号"},
    )
    org = Organization.objects.get(pk=world.org_a.pk)
    assert (org.contact_name, org.contact_phone, org.address) == ("王老师", "13900000000", "海淀路 2 号")
    assert set(_audit("update", org).get().detail["changes"]) == {"contact_name", "contact_phone", "address"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "改名机构"), ("kind", "youth_palace"), ("credit_code", make_credit_code(999))],
)
def test_org_admin_cannot_change_fields_other_than_contact_data(world: Any, field: str, value: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.organization_update(
            actor=world.actor("org_a"), organization=world.org_a, data={field: value, "contact_name": "王老师"}
        )
    org = Organization.objects.get(pk=world.org_a.pk)
    assert getattr(org, field) != value
    assert org.contact_name != "王老师"


def test_org_admin_cannot_move_organization_to_another_district(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.organization_update(
            actor=world.actor("org_a"), organization=world.org_a, data={"region": world.district_b}
        )
    assert Organization.objects.get(pk=world.org_a.pk).region_id == world.district_a.pk


def test_org_admin_resubmitting_own_credit_code_in_lower_case_is_allowed(world: Any) -> None:
    services.organization_update(
        actor=world.actor("org_a"),
        organization=world.org_a,
        data={"credit_code": world.org_a.credit_code.lower(), "contact_phone": "13900000001"},
    )
    assert Organization.objects.get(pk=world.org_a.pk).contact_phone == "13900000001"


def test_org_admin_cannot_edit_another_organization(world: Any) -> None:
    with pytest.raises(NotFound):
        services.organization_update(actor=world.actor("org_a"), organization=world.org_b, data={"address": "x"})


def test_org_teacher_cannot_edit_own_organization(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.organization_update(actor=world.actor("orgteacher_a"), organization=world.org_a, data={"address": "x"})


def test_bureau_creates_organization_with_lower_case_credit_code_stored_upper_case(world: Any) -> None:
    code = make_credit_code(4242)
    org = services.organization_create(
        actor=world.actor("bureau_a"),
        data={"credit_code": f" {code.lower()} ", "name": "海淀新机构", "kind": "company", "region": world.district_a},
    )
    org = Organization.objects.get(pk=org.pk)
    assert org.credit_code == code
    assert org.status == "active"
    assert _audit("create", org).exists()


def test_organization_with_wrong_check_character_is_rejected_on_credit_code(world: Any) -> None:
    code = make_credit_code(4243)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc_info:
        services.organization_create(
            actor=world.actor("bureau_a"),
            data={"credit_code": wrong, "name": "海淀新机构", "kind": "company", "region": world.district_a},
        )
    assert "credit_code" in exc_info.value.detail
    assert not Organization.objects.filter(name="海淀新机构").exists()


def test_bureau_cannot_create_organization_in_another_district(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.organization_create(
            actor=world.actor("bureau_a"),
            data={"credit_code": make_credit_code(4244), "name": "越界机构", "region": world.district_b},
        )
    assert not Organization.objects.filter(name="越界机构").exists()


def test_deleting_organization_in_a_partnership_is_refused(world: Any) -> None:
    with pytest.raises(Conflict) as exc_info:
        services.organization_delete(actor=world.actor("bureau_a"), organization=world.org_a)
    assert exc_info.value.code == "in_use"
    assert "机构" in exc_info.value.message and "合作关系" in exc_info.value.message
    assert Organization.objects.filter(pk=world.org_a.pk).exists()


# --- regions ------------------------------------------------------------------------------------


def test_system_admin_creates_province_city_and_district_with_derived_levels(world: Any) -> None:
    actor = world.actor("system")
    province = services.region_create(actor=actor, data={"code": "120000", "name": "天津市"})
    city = services.region_create(actor=actor, data={"code": "120100", "name": "天津市市辖区", "parent": province})
    district = services.region_create(actor=actor, data={"code": "120101", "name": "和平区", "parent": city})
    levels = dict(Region.objects.filter(code__startswith="12").values_list("code", "level"))
    assert levels == {"120000": "province", "120100": "city", "120101": "district"}
    assert district.parent_id == city.pk
    assert AuditEvent.objects.filter(event="create", object_type="tenancy.region", object_id=str(district.pk)).exists()


def test_system_admin_creates_district_directly_under_its_province(world: Any) -> None:
    province = ProvinceFactory(code="500000", name="重庆市")
    district = services.region_create(
        actor=world.actor("system"), data={"code": "500101", "name": "万州区", "parent": province}
    )
    assert Region.objects.get(pk=district.pk).level == "district"


def test_district_whose_parent_is_in_another_province_is_rejected(world: Any) -> None:
    city = world.district_a.parent  # 110100
    with pytest.raises(ValidationFailed) as exc_info:
        services.region_create(actor=world.actor("system"), data={"code": "120101", "name": "和平区", "parent": city})
    assert "parent" in exc_info.value.detail
    assert "110100" in exc_info.value.detail["parent"][0]
    assert not Region.objects.filter(code="120101").exists()


def test_district_whose_parent_is_another_city_of_the_same_province_is_rejected(world: Any) -> None:
    actor = world.actor("system")
    province = services.region_create(actor=actor, data={"code": "130000", "name": "河北省"})
    tangshan = services.region_create(actor=actor, data={"code": "130200", "name": "唐山市", "parent": province})
    with pytest.raises(ValidationFailed) as exc_info:
        services.region_create(actor=actor, data={"code": "130102", "name": "长安区", "parent": tangshan})
    assert "parent" in exc_info.value.detail


def test_city_whose_parent_is_another_province_is_rejected(world: Any) -> None:
    province = world.district_a.parent.parent  # 110000
    with pytest.raises(ValidationFailed) as exc_info:
        services.region_create(actor=world.actor("system"), data={"code": "120100", "name": "天津", "parent": province})
    assert "parent" in exc_info.value.detail


def test_province_with_a_parent_is_rejected(world: Any) -> None:
    province = world.district_a.parent.parent
    with pytest.raises(ValidationFailed) as exc_info:
        services.region_create(
            actor=world.actor("system"), data={"code": "120000", "name": "天津市", "parent": province}
        )
    assert "parent" in exc_info.value.detail


@pytest.mark.parametrize("code", ["110109", "110200"])
def test_district_or_city_without_parent_is_rejected(world: Any, code: str) -> None:
    with pytest.raises(ValidationFailed) as exc_info:
        services.region_create(actor=world.actor("system"), data={"code": code, "name": "无上级"})
    assert "parent" in exc_info.value.detail
    assert not Region.objects.filter(code=code).exists()


@pytest.mark.parametrize(("code", "with_parent"), [("99010", True), ("990000", False), ("11010a", True)])
def test_region_with_invalid_code_is_rejected_on_code(world: Any, code: str, with_parent: bool) -> None:
    data = {"code": code, "name": "坏代码", "parent": world.district_a.parent if with_parent else None}
    with pytest.raises(ValidationFailed) as exc_info:
        services.region_create(actor=world.actor("system"), data=data)
    assert "code" in exc_info.value.detail
    assert not Region.objects.filter(code=code).exists()


def test_duplicate_region_code_is_rejected(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc_info:
        services.region_create(
            actor=world.actor("system"), data={"code": "110108", "name": "海淀", "parent": world.district_a.parent}
        )
    assert "code" in exc_info.value.detail


@pytest.mark.parametrize("key", ["bureau_a", "school_a", "org_a", "teacher_a", "parent"])
def test_non_system_admin_cannot_create_region(world: Any, key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.region_create(
            actor=world.actor(key), data={"code": "110109", "name": "门头沟区", "parent": world.district_a.parent}
        )
    assert not Region.objects.filter(code="110109").exists()


def test_new_district_under_bureau_region_is_visible_to_the_bureau_at_once(world: Any) -> None:
    # A city-level bureau whose subtree is cached must see a district created afterwards.
    from afterschool.accounts.choices import Role
    from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
    from afterschool.tenancy import selectors
    from afterschool.tenancy.actor import Actor

    city = world.district_a.parent
    membership = MembershipFactory(user=UserFactory(username="bureau_city"), role=Role.BUREAU_ADMIN, region=city)
    actor = Actor(user=membership.user, membership=membership)
    assert not selectors.region_list(actor=actor).filter(code="110109").exists()  # fills the cache
    services.region_create(actor=world.actor("system"), data={"code": "110109", "name": "门头沟区", "parent": city})
    assert selectors.region_list(actor=actor).filter(code="110109").exists()
