"""/api/v1/tenancy/ through the session client: status codes, the {code, message, detail} error shape, paging."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from afterschool.accounts.models import AuditEvent
from afterschool.tenancy.models import Organization, School
from afterschool.tenancy.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenancy"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def _post(client: Client, path: str, data: Any) -> Any:
    return client.post(f"{BASE}{path}", data=json.dumps(data), content_type="application/json")


def _patch(client: Client, path: str, data: Any) -> Any:
    return client.patch(f"{BASE}{path}", data=json.dumps(data), content_type="application/json")


def _payload(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "code": "2111080055",
        "name": "接口小学",
        "region_id": world.district_a.pk,
        "school_type": "primary",
        "address": "接口路 5 号",
    }
    data.update(overrides)
    return data


def _assert_error_shape(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


# --- create ---------------------------------------------------------------------------------------


def test_bureau_creates_school_through_the_api(world: Any, login: Any) -> None:
    response = _post(login(world.users["bureau_a"]), "/schools", _payload(world, longitude="116.300000"))
    assert response.status_code == 201, response.content
    body = response.json()
    school = School.objects.get(code="2111080055")
    assert body["id"] == school.pk
    assert body["region_id"] == world.district_a.pk
    assert body["nature"] == "public"
    assert body["is_active"] is True
    assert school.longitude is not None and str(school.longitude) == "116.300000"
    assert AuditEvent.objects.filter(event="create", object_type="tenancy.school", object_id=str(school.pk)).exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": ""},
        {"school_type": "university"},
        {"region_id": 0},
        {"code": "21110800551"},
        {"longitude": "181"},
        {"region_id": "abc"},
    ],
)
def test_bad_school_input_returns_422_with_error_shape(world: Any, login: Any, overrides: dict[str, Any]) -> None:
    response = _post(login(world.users["bureau_a"]), "/schools", _payload(world, **overrides))
    body = _assert_error_shape(response, 422, "invalid")
    assert isinstance(body["detail"], list) and body["detail"]
    assert {"loc", "msg", "type"} <= set(body["detail"][0])
    assert not School.objects.filter(name="接口小学").exists()


def test_missing_required_field_is_named_in_the_detail(world: Any, login: Any) -> None:
    payload = _payload(world)
    del payload["school_type"]
    body = _assert_error_shape(_post(login(world.users["bureau_a"]), "/schools", payload), 422, "invalid")
    assert any("school_type" in item["loc"] for item in body["detail"])


def test_malformed_json_returns_error_shape(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post(f"{BASE}/schools", data="{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "detail"}


def test_code_province_mismatch_returns_422_naming_the_code_field(world: Any, login: Any) -> None:
    response = _post(login(world.users["bureau_a"]), "/schools", _payload(world, code="2112080055"))
    body = _assert_error_shape(response, 422, "invalid")
    assert list(body["detail"]) == ["code"]
    assert "11" in body["detail"]["code"][0]
    assert not School.objects.filter(code="2112080055").exists()


def test_unknown_category_returns_422_naming_the_code_field(world: Any, login: Any) -> None:
    body = _assert_error_shape(
        _post(login(world.users["bureau_a"]), "/schools", _payload(world, code="9911080055")), 422, "invalid"
    )
    assert "学校类别码" in body["detail"]["code"][0]


def test_duplicate_code_returns_422_naming_the_code_field(world: Any, login: Any) -> None:
    body = _assert_error_shape(
        _post(login(world.users["bureau_a"]), "/schools", _payload(world, code="2111080001")), 422, "invalid"
    )
    assert "code" in body["detail"]


def test_region_of_another_district_is_refused_as_unknown_region(world: Any, login: Any) -> None:
    response = _post(login(world.users["bureau_a"]), "/schools", _payload(world, region_id=world.district_b.pk))
    body = _assert_error_shape(response, 422, "invalid")
    assert "region_id" in body["detail"]
    assert not School.objects.filter(code="2111080055").exists()


@pytest.mark.parametrize("key", ["school_a", "teacher_a", "org_a"])
def test_non_bureau_roles_cannot_create_schools(world: Any, login: Any, key: str) -> None:
    # These roles cannot even see 海淀区, so the region is unknown to them (422) or the write is refused (403).
    response = _post(login(world.users[key]), "/schools", _payload(world))
    assert response.status_code in (403, 422)
    assert set(response.json()) == {"code", "message", "detail"}
    assert not School.objects.filter(code="2111080055").exists()


# --- update ---------------------------------------------------------------------------------------


def test_school_admin_patching_name_gets_403_permission_denied(world: Any, login: Any) -> None:
    response = _patch(login(world.users["school_a"]), f"/schools/{world.school_a.pk}", {"name": "改名"})
    _assert_error_shape(response, 403, "permission_denied")
    assert School.objects.get(pk=world.school_a.pk).name == "海淀实验小学"
    event = AuditEvent.objects.get(event="permission_denied")
    assert event.user_id == world.users["school_a"].pk
    assert event.detail["path"] == f"{BASE}/schools/{world.school_a.pk}"


def test_school_admin_patches_contact_data(world: Any, login: Any) -> None:
    response = _patch(
        login(world.users["school_a"]),
        f"/schools/{world.school_a.pk}",
        {"address": "接口新地址", "contact_phone": "010-8", "latitude": "39.95"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["address"] == "接口新地址"
    school = School.objects.get(pk=world.school_a.pk)
    assert (school.address, school.contact_phone, str(school.latitude)) == ("接口新地址", "010-8", "39.950000")


def test_school_admin_patching_same_name_with_contact_data_is_allowed(world: Any, login: Any) -> None:
    response = _patch(
        login(world.users["school_a"]), f"/schools/{world.school_a.pk}", {"name": "海淀实验小学", "address": "同名"}
    )
    assert response.status_code == 200, response.content


def test_school_admin_cannot_patch_another_school(world: Any, login: Any) -> None:
    response = _patch(login(world.users["school_a"]), f"/schools/{world.school_a2.pk}", {"address": "x"})
    _assert_error_shape(response, 404, "not_found")


def test_bureau_patch_with_code_province_mismatch_returns_422(world: Any, login: Any) -> None:
    response = _patch(login(world.users["bureau_a"]), f"/schools/{world.school_a2.pk}", {"code": "2112080002"})
    body = _assert_error_shape(response, 422, "invalid")
    assert "code" in _error_fields(body)


def test_bureau_patch_moving_school_to_another_district_is_refused(world: Any, login: Any) -> None:
    response = _patch(
        login(world.users["bureau_a"]), f"/schools/{world.school_a2.pk}", {"region_id": world.district_b.pk}
    )
    body = _assert_error_shape(response, 422, "invalid")
    assert "region_id" in body["detail"]
    assert School.objects.get(pk=world.school_a2.pk).region_id == world.district_a.pk


def _error_fields(body: dict[str, Any]) -> set[str]:
    """Field names an error names: service errors give {field: [...]}, schema errors [{"loc": [...]}]."""
    detail = body["detail"]
    if isinstance(detail, dict):
        return set(detail)
    return {str(part) for item in detail for part in item["loc"]}


@pytest.mark.parametrize("field", ["name", "school_type", "nature", "is_active"])
def test_bureau_patch_with_null_required_field_returns_422(world: Any, login: Any, field: str) -> None:
    response = _patch(login(world.users["bureau_a"]), f"/schools/{world.school_a2.pk}", {field: None})
    body = _assert_error_shape(response, 422, "invalid")
    assert field in _error_fields(body)


def test_bureau_patch_with_null_code_returns_422(world: Any, login: Any) -> None:
    response = _patch(login(world.users["bureau_a"]), f"/schools/{world.school_a2.pk}", {"code": None})
    body = _assert_error_shape(response, 422, "invalid")
    assert "code" in _error_fields(body)


def test_bureau_patch_with_null_region_returns_422(world: Any, login: Any) -> None:
    response = _patch(login(world.users["bureau_a"]), f"/schools/{world.school_a2.pk}", {"region_id": None})
    body = _assert_error_shape(response, 422, "invalid")
    assert {"region", "region_id"} & _error_fields(body)


# --- delete ---------------------------------------------------------------------------------------


def test_deleting_referenced_school_returns_409_in_use(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).delete(f"{BASE}/schools/{world.school_a.pk}")
    body = _assert_error_shape(response, 409, "in_use")
    assert "合作关系" in body["message"]
    assert set(body["detail"]["referenced_by"]) == {"合作关系", "角色授权"}
    assert School.objects.filter(pk=world.school_a.pk).exists()


def test_deleting_unreferenced_school_returns_204(world: Any, login: Any) -> None:
    school = SchoolFactory(code="2111080056", region=world.district_a)
    response = login(world.users["bureau_a"]).delete(f"{BASE}/schools/{school.pk}")
    assert response.status_code == 204
    assert not School.objects.filter(pk=school.pk).exists()
    assert AuditEvent.objects.filter(event="delete", object_type="tenancy.school", object_id=str(school.pk)).exists()


def test_school_admin_delete_returns_403(world: Any, login: Any) -> None:
    response = login(world.users["school_a"]).delete(f"{BASE}/schools/{world.school_a.pk}")
    _assert_error_shape(response, 403, "permission_denied")


def test_deleting_missing_school_returns_404(world: Any, login: Any) -> None:
    _assert_error_shape(login(world.users["system"]).delete(f"{BASE}/schools/999999"), 404, "not_found")


# --- lists ----------------------------------------------------------------------------------------


def test_school_list_has_the_paging_keys(world: Any, login: Any) -> None:
    response = login(world.users["system"]).get(f"{BASE}/schools", {"page_size": 1, "page": 2})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "count", "page", "page_size", "num_pages"}
    assert (body["count"], body["page"], body["page_size"], body["num_pages"]) == (3, 2, 1, 3)
    assert [s["code"] for s in body["items"]] == ["2111080001"]


def test_page_past_the_end_returns_the_last_page(world: Any, login: Any) -> None:
    body = login(world.users["system"]).get(f"{BASE}/schools", {"page_size": 2, "page": 50}).json()
    assert body["page"] == 2
    assert [s["code"] for s in body["items"]] == ["2111080002"]


def test_page_size_of_200_is_accepted(world: Any, login: Any) -> None:
    response = login(world.users["system"]).get(f"{BASE}/schools", {"page_size": 200})
    assert response.status_code == 200
    assert response.json()["page_size"] == 200


@pytest.mark.parametrize("params", [{"page_size": 201}, {"page_size": 0}, {"page": 0}, {"page": "abc"}])
def test_bad_paging_parameters_return_422(world: Any, login: Any, params: dict[str, Any]) -> None:
    _assert_error_shape(login(world.users["system"]).get(f"{BASE}/schools", params), 422, "invalid")


def test_school_list_filters_and_searches(world: Any, login: Any) -> None:
    School.objects.filter(pk=world.school_a2.pk).update(school_type="junior")
    client = login(world.users["bureau_a"])
    assert [s["code"] for s in client.get(f"{BASE}/schools", {"school_type": "junior"}).json()["items"]] == [
        "2111080002"
    ]
    assert [s["code"] for s in client.get(f"{BASE}/schools", {"q": "实验"}).json()["items"]] == ["2111080001"]
    _assert_error_shape(client.get(f"{BASE}/schools", {"school_type": "bogus"}), 422, "invalid")


def test_organization_list_filters_by_status(world: Any, login: Any) -> None:
    Organization.objects.filter(pk=world.org_b.pk).update(status="suspended")
    body = login(world.users["system"]).get(f"{BASE}/organizations", {"status": "suspended"}).json()
    assert [o["id"] for o in body["items"]] == [world.org_b.pk]
    assert body["count"] == 1


# --- authentication -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/schools"),
        ("post", "/schools"),
        ("get", "/organizations"),
        ("get", "/regions"),
        ("patch", "/schools/1"),
        ("delete", "/schools/1"),
        ("post", "/organizations/1/status"),
    ],
)
def test_unauthenticated_request_returns_401_with_error_shape(world: Any, method: str, path: str) -> None:
    client = Client()
    call = getattr(client, method)
    if method == "get":
        response = call(f"{BASE}{path}")
    else:
        response = call(f"{BASE}{path}", data=json.dumps({}), content_type="application/json")
    body = _assert_error_shape(response, 401, "unauthenticated")
    assert body["detail"] is None


def test_invalid_bearer_token_returns_401(world: Any) -> None:
    response = Client().get(f"{BASE}/schools", HTTP_AUTHORIZATION="Bearer nope")
    _assert_error_shape(response, 401, "unauthenticated")


# --- organization status --------------------------------------------------------------------------


def test_suspending_organization_without_reason_returns_422_naming_reason(world: Any, login: Any) -> None:
    response = _post(login(world.users["bureau_a"]), f"/organizations/{world.org_a.pk}/status", {"status": "suspended"})
    body = _assert_error_shape(response, 422, "invalid")
    assert "reason" in body["detail"]
    assert Organization.objects.get(pk=world.org_a.pk).status == "active"


def test_suspending_organization_with_reason_returns_200_and_is_audited(world: Any, login: Any) -> None:
    response = _post(
        login(world.users["bureau_a"]),
        f"/organizations/{world.org_a.pk}/status",
        {"status": "suspended", "reason": "投诉核查中"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "suspended"
    assert Organization.objects.get(pk=world.org_a.pk).status == "suspended"
    event = AuditEvent.objects.get(event="update", object_type="tenancy.organization", object_id=str(world.org_a.pk))
    assert event.detail["reason"] == "投诉核查中"


def test_unknown_organization_status_returns_422(world: Any, login: Any) -> None:
    response = _post(
        login(world.users["bureau_a"]), f"/organizations/{world.org_a.pk}/status", {"status": "closed", "reason": "x"}
    )
    _assert_error_shape(response, 422, "invalid")


def test_too_long_reason_returns_422(world: Any, login: Any) -> None:
    response = _post(
        login(world.users["bureau_a"]),
        f"/organizations/{world.org_a.pk}/status",
        {"status": "suspended", "reason": "长" * 201},
    )
    _assert_error_shape(response, 422, "invalid")
    assert Organization.objects.get(pk=world.org_a.pk).status == "active"


def test_org_admin_cannot_change_own_status(world: Any, login: Any) -> None:
    response = _post(login(world.users["org_a"]), f"/organizations/{world.org_a.pk}/status", {"status": "active"})
    _assert_error_shape(response, 403, "permission_denied")
    assert AuditEvent.objects.filter(event="permission_denied", user_id=world.users["org_a"].pk).exists()


def test_bureau_cannot_change_status_of_organization_in_another_district(world: Any, login: Any) -> None:
    response = _post(
        login(world.users["bureau_a"]),
        f"/organizations/{world.org_b.pk}/status",
        {"status": "suspended", "reason": "x"},
    )
    _assert_error_shape(response, 404, "not_found")
    assert Organization.objects.get(pk=world.org_b.pk).status == "active"


def test_org_admin_patching_organization_name_gets_403(world: Any, login: Any) -> None:
    response = _patch(login(world.users["org_a"]), f"/organizations/{world.org_a.pk}", {"name": "改名机构"})
    _assert_error_shape(response, 403, "permission_denied")
    assert Organization.objects.get(pk=world.org_a.pk).name == "海淀活动中心"


def test_org_admin_patches_contact_fields(world: Any, login: Any) -> None:
    response = _patch(
        login(world.users["org_a"]), f"/organizations/{world.org_a.pk}", {"contact_name": "李老师", "address": "新址"}
    )
    assert response.status_code == 200, response.content
    org = Organization.objects.get(pk=world.org_a.pk)
    assert (org.contact_name, org.address) == ("李老师", "新址")


def test_deleting_organization_in_a_partnership_returns_409(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).delete(f"{BASE}/organizations/{world.org_a.pk}")
    body = _assert_error_shape(response, 409, "in_use")
    assert "合作关系" in body["message"]
    assert Organization.objects.filter(pk=world.org_a.pk).exists()


def test_bureau_creates_organization_with_lower_case_credit_code(world: Any, login: Any) -> None:
    from afterschool.tenancy.tests.factories import make_credit_code

    code = make_credit_code(5150)
    response = _post(
        login(world.users["bureau_a"]),
        "/organizations",
        {"credit_code": code.lower(), "name": "接口机构", "region_id": world.district_a.pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["credit_code"] == code


def test_credit_code_with_full_width_digits_returns_422(world: Any, login: Any) -> None:
    response = _post(
        login(world.users["bureau_a"]),
        "/organizations",
        {"credit_code": "91１１０１０８MA0000001X", "name": "全角机构", "region_id": world.district_a.pk},
    )
    body = _assert_error_shape(response, 422, "invalid")
    assert "credit_code" in body["detail"]
