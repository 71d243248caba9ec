"""The school / organization / region pages through the Django test client: lists, export, forms, delete, 403."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.tenancy.models import Organization, School
from afterschool.tenancy.tests.factories import OrganizationFactory, SchoolFactory, make_credit_code

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def _codes_in(html: str) -> set[str]:
    """School codes shown as links in the table (the first cell of each row)."""
    return set(re.findall(r'<a href="/tenancy/schools/\d+/">(\d{10})</a>', html))


def _xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook.worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _school_form(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "code": "2111080077",
        "name": "海淀表单小学",
        "region": str(world.district_a.pk),
        "school_type": "primary",
        "nature": "public",
        "address": "表单路 7 号",
        "longitude": "",
        "latitude": "",
        "contact_phone": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


# --- lists --------------------------------------------------------------------------------------


def test_bureau_school_list_shows_only_own_district(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get("/tenancy/schools/")
    assert response.status_code == 200
    assert _codes_in(response.content.decode()) == {"2111080001", "2111080002"}


def test_school_list_search_by_name_finds_only_matching_schools(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get("/tenancy/schools/", {"q": "二小"})
    assert response.status_code == 200
    html = response.content.decode()
    assert _codes_in(html) == {"2111080002"}
    assert 'value="二小"' in html  # the search box keeps the query


def test_school_list_search_by_code_prefix(world: Any, login: Any) -> None:
    response = login(world.users["system"]).get("/tenancy/schools/", {"q": "211105"})
    assert _codes_in(response.content.decode()) == {"2111050001"}


def test_school_list_search_does_not_leak_other_districts(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get("/tenancy/schools/", {"q": "朝阳"})
    assert response.status_code == 200
    assert _codes_in(response.content.decode()) == set()
    assert "没有符合条件的记录" in response.content.decode()


def test_school_list_filters_by_school_type(world: Any, login: Any) -> None:
    School.objects.filter(pk=world.school_a2.pk).update(school_type="junior")
    client = login(world.users["bureau_a"])
    assert _codes_in(client.get("/tenancy/schools/", {"school_type": "junior"}).content.decode()) == {"2111080002"}
    assert _codes_in(client.get("/tenancy/schools/", {"school_type": "primary"}).content.decode()) == {"2111080001"}


def test_school_list_ignores_unknown_filter_value(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get("/tenancy/schools/", {"school_type": "'; drop table"})
    assert response.status_code == 200
    assert _codes_in(response.content.decode()) == {"2111080001", "2111080002"}


def test_organization_list_filters_by_status_and_searches_by_name(world: Any, login: Any) -> None:
    suspended = OrganizationFactory(name="海淀暂停机构", region=world.district_a, status="suspended")
    client = login(world.users["bureau_a"])
    html = client.get("/tenancy/organizations/", {"status": "suspended"}).content.decode()
    assert suspended.credit_code in html
    assert world.org_a.credit_code not in html
    html = client.get("/tenancy/organizations/", {"q": "活动中心"}).content.decode()
    assert world.org_a.credit_code in html
    assert suspended.credit_code not in html
    assert world.org_b.credit_code not in html


def test_organization_list_searches_credit_code_prefix_case_insensitively(world: Any, login: Any) -> None:
    prefix = world.org_a.credit_code[:12].lower()
    html = login(world.users["system"]).get("/tenancy/organizations/", {"q": prefix}).content.decode()
    assert world.org_a.credit_code in html


def test_region_list_search_by_name(world: Any, login: Any) -> None:
    response = login(world.users["system"]).get("/tenancy/regions/", {"q": "海淀"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "110108" in html
    assert "110105" not in html


def test_region_list_filters_by_level(world: Any, login: Any) -> None:
    html = login(world.users["system"]).get("/tenancy/regions/", {"level": "city"}).content.decode()
    assert "110100" in html
    assert "110108" not in html and "110105" not in html


def test_school_list_pages_with_page_size_and_page(world: Any, login: Any) -> None:
    response = login(world.users["system"]).get("/tenancy/schools/", {"page_size": 1, "page": 2})
    assert response.status_code == 200
    html = response.content.decode()
    # Ordered by code: 2111050001, 2111080001, 2111080002.
    assert _codes_in(html) == {"2111080001"}
    assert "第 2 / 3 页" in html
    assert "共 3 条" in html


@pytest.mark.parametrize(
    ("page", "expected_page", "expected_code"),
    [("99", 3, "2111080002"), ("abc", 1, "2111050001"), ("", 1, "2111050001"), ("2.5", 1, "2111050001")],
)
def test_out_of_range_or_garbage_page_falls_back_to_a_real_page(
    world: Any, login: Any, page: str, expected_page: int, expected_code: str
) -> None:
    response = login(world.users["system"]).get("/tenancy/schools/", {"page_size": "1", "page": page})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"第 {expected_page} / 3 页" in html
    assert _codes_in(html) == {expected_code}


@pytest.mark.parametrize("page", ["0", "-1"])
def test_page_below_one_falls_back_to_the_first_page(world: Any, login: Any, page: str) -> None:
    response = login(world.users["system"]).get("/tenancy/schools/", {"page_size": "1", "page": page})
    assert response.status_code == 200
    html = response.content.decode()
    assert "第 1 / 3 页" in html
    assert _codes_in(html) == {"2111050001"}


@pytest.mark.parametrize("page_size", ["0", "-5", "abc", "100000"])
def test_garbage_page_size_does_not_break_the_list(world: Any, login: Any, page_size: str) -> None:
    response = login(world.users["system"]).get("/tenancy/schools/", {"page_size": page_size})
    assert response.status_code == 200
    assert "共 3 条" in response.content.decode()


def test_htmx_request_returns_only_the_table_partial(world: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    full = client.get("/tenancy/schools/", {"q": "二小"})
    partial = client.get("/tenancy/schools/", {"q": "二小"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    html = partial.content.decode()
    assert "<html" not in html.lower()
    assert "<table" in html
    assert _codes_in(html) == {"2111080002"}
    assert "<html" in full.content.decode().lower()


# --- export -------------------------------------------------------------------------------------


def test_bureau_exports_school_list_as_xlsx_with_only_its_schools(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get("/tenancy/schools/", {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    rows = _xlsx_rows(response)
    assert rows[0] == ("学校标识码", "学校名称", "办学类型", "办学性质", "所属区县")
    assert sorted(rows[1:]) == [
        ("2111080001", "海淀实验小学", "小学", "公办", "海淀区"),
        ("2111080002", "海淀二小", "小学", "公办", "海淀区"),
    ]


def test_export_follows_the_search_and_filters(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get("/tenancy/schools/", {"export": "xlsx", "q": "二小"})
    rows = _xlsx_rows(response)
    assert [r[0] for r in rows[1:]] == ["2111080002"]


def test_school_admin_export_contains_only_own_school(world: Any, login: Any) -> None:
    rows = _xlsx_rows(login(world.users["school_b"]).get("/tenancy/schools/", {"export": "xlsx"}))
    assert [r[0] for r in rows[1:]] == ["2111050001"]


def test_org_admin_exports_only_own_organization(world: Any, login: Any) -> None:
    rows = _xlsx_rows(login(world.users["org_a"]).get("/tenancy/organizations/", {"export": "xlsx"}))
    assert rows[0] == ("统一社会信用代码", "机构名称", "类型", "状态", "注册区县")
    assert rows[1:] == [(world.org_a.credit_code, "海淀活动中心", "企业", "已入驻", "海淀区")]


def test_export_is_audited(world: Any, login: Any) -> None:
    login(world.users["bureau_a"]).get("/tenancy/schools/", {"export": "xlsx", "q": "海淀"})
    event = AuditEvent.objects.get(event="export")
    assert event.user_id == world.users["bureau_a"].pk
    assert event.detail["what"] == "school"
    assert event.detail["q"] == "海淀"


def test_export_neutralises_formula_like_values(world: Any, login: Any) -> None:
    SchoolFactory(code="2111080088", name='=HYPERLINK("http://evil")', region=world.district_a)
    rows = _xlsx_rows(login(world.users["bureau_a"]).get("/tenancy/schools/", {"export": "xlsx"}))
    names = {r[0]: r[1] for r in rows[1:]}
    assert not str(names["2111080088"]).startswith("=")


# --- create / edit forms ------------------------------------------------------------------------


def test_bureau_creates_school_through_the_form(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post("/tenancy/schools/new/", _school_form(world))
    school = School.objects.get(code="2111080077")
    assert response.status_code == 302
    assert response["Location"] == f"/tenancy/schools/{school.pk}/"
    assert school.region_id == world.district_a.pk
    assert AuditEvent.objects.filter(event="create", object_type="tenancy.school", object_id=str(school.pk)).exists()


def test_create_form_shows_chinese_field_error_for_bad_school_code_and_keeps_the_data(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post("/tenancy/schools/new/", _school_form(world, code="9911080077"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "学校标识码前两位 99 不是已知的学校类别码" in html
    assert 'value="9911080077"' in html
    assert 'value="海淀表单小学"' in html
    assert 'value="表单路 7 号"' in html
    assert not School.objects.filter(name="海淀表单小学").exists()


def test_create_form_shows_chinese_error_for_short_school_code(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post("/tenancy/schools/new/", _school_form(world, code="211108"))
    html = response.content.decode()
    assert "学校标识码必须是 10 位数字" in html
    assert 'value="211108"' in html


def test_create_form_shows_service_refusal_on_the_code_field(world: Any, login: Any) -> None:
    # 12 = 天津: passes the field validator, refused by the service because 海淀区 is in 北京.
    response = login(world.users["bureau_a"]).post("/tenancy/schools/new/", _school_form(world, code="2112080077"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "学校标识码第 3–4 位应为所在省份代码 11" in html
    assert 'value="2112080077"' in html
    assert not School.objects.filter(code="2112080077").exists()


def test_create_form_refuses_a_district_outside_the_bureau(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post(
        "/tenancy/schools/new/", _school_form(world, region=str(world.district_b.pk))
    )
    assert response.status_code == 200
    assert "有效" in response.content.decode()  # 选择一个有效的选项
    assert not School.objects.filter(code="2111080077").exists()


def test_create_form_offers_only_districts_of_the_bureau(world: Any, login: Any) -> None:
    html = login(world.users["bureau_a"]).get("/tenancy/schools/new/").content.decode()
    assert f'<option value="{world.district_a.pk}"' in html
    assert f'<option value="{world.district_b.pk}"' not in html


def test_create_form_with_duplicate_code_shows_error(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post("/tenancy/schools/new/", _school_form(world, code="2111080001"))
    assert response.status_code == 200
    assert "已存在" in response.content.decode()
    assert School.objects.filter(code="2111080001").count() == 1


def test_bureau_creates_organization_with_lower_case_credit_code(world: Any, login: Any) -> None:
    code = make_credit_code(777)
    response = login(world.users["bureau_a"]).post(
        "/tenancy/organizations/new/",
        {
            "credit_code": code.lower(),
            "name": "表单机构",
            "kind": "company",
            "region": str(world.district_a.pk),
            "contact_name": "",
            "contact_phone": "",
            "address": "",
        },
    )
    assert response.status_code == 302
    assert Organization.objects.get(name="表单机构").credit_code == code


def test_organization_form_shows_chinese_error_for_wrong_check_character(world: Any, login: Any) -> None:
    code = make_credit_code(778)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    response = login(world.users["bureau_a"]).post(
        "/tenancy/organizations/new/",
        {"credit_code": wrong, "name": "表单机构", "kind": "company", "region": str(world.district_a.pk)},
    )
    assert response.status_code == 200
    assert "统一社会信用代码校验位不正确" in response.content.decode()
    assert not Organization.objects.filter(name="表单机构").exists()


SCHOOL_ADMIN_FIELDS = ("address", "longitude", "latitude", "contact_phone")
BUREAU_ONLY_FIELDS = ("code", "name", "region", "school_type", "nature", "is_active")


def test_edit_form_for_school_admin_shows_only_contact_fields(world: Any, login: Any) -> None:
    response = login(world.users["school_a"]).get(f"/tenancy/schools/{world.school_a.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in SCHOOL_ADMIN_FIELDS:
        assert f'name="{name}"' in html, name
    for name in BUREAU_ONLY_FIELDS:
        assert f'name="{name}"' not in html, name


def test_edit_form_for_bureau_shows_all_fields(world: Any, login: Any) -> None:
    html = login(world.users["bureau_a"]).get(f"/tenancy/schools/{world.school_a.pk}/edit/").content.decode()
    for name in SCHOOL_ADMIN_FIELDS + BUREAU_ONLY_FIELDS:
        assert f'name="{name}"' in html, name


def test_school_admin_saves_contact_data_and_posted_name_is_ignored(world: Any, login: Any) -> None:
    response = login(world.users["school_a"]).post(
        f"/tenancy/schools/{world.school_a.pk}/edit/",
        {"address": "学校自填地址", "longitude": "116.3", "latitude": "39.9", "contact_phone": "010-1", "name": "改名"},
    )
    assert response.status_code == 302
    school = School.objects.get(pk=world.school_a.pk)
    assert school.address == "学校自填地址"
    assert school.contact_phone == "010-1"
    assert school.name == "海淀实验小学"


def test_edit_form_shows_chinese_error_for_bad_longitude(world: Any, login: Any) -> None:
    response = login(world.users["school_a"]).post(
        f"/tenancy/schools/{world.school_a.pk}/edit/",
        {"address": "地址", "longitude": "abc", "latitude": "", "contact_phone": ""},
    )
    assert response.status_code == 200
    assert "输入一个数字" in response.content.decode()


@pytest.mark.parametrize("key", ["org_a", "teacher_a"])
def test_roles_that_cannot_edit_a_school_do_not_get_its_edit_page(world: Any, login: Any, key: str) -> None:
    # org_a is a partner of school_a and may read it, but not edit it.
    client = login(world.users[key])
    assert client.get(f"/tenancy/schools/{world.school_a.pk}/edit/").status_code == 403
    response = client.post(f"/tenancy/schools/{world.school_a.pk}/edit/", {"address": "越权地址"})
    assert response.status_code == 403
    assert School.objects.get(pk=world.school_a.pk).address != "越权地址"


def test_org_admin_edit_form_shows_only_contact_fields(world: Any, login: Any) -> None:
    html = login(world.users["org_a"]).get(f"/tenancy/organizations/{world.org_a.pk}/edit/").content.decode()
    for name in ("contact_name", "contact_phone", "address"):
        assert f'name="{name}"' in html
    for name in ("credit_code", "name", "kind", "region"):
        assert f'name="{name}"' not in html


# --- delete -------------------------------------------------------------------------------------


def test_delete_page_asks_for_confirmation(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get(f"/tenancy/schools/{world.school_a.pk}/delete/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "确认删除" in html
    assert "海淀实验小学" in html
    assert School.objects.filter(pk=world.school_a.pk).exists()


def test_deleting_referenced_school_shows_the_refusal_and_keeps_it(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post(f"/tenancy/schools/{world.school_a.pk}/delete/")
    assert response.status_code == 409
    html = response.content.decode()
    assert "学校仍被其他数据引用" in html
    assert "合作关系" in html and "角色授权" in html
    assert School.objects.filter(pk=world.school_a.pk).exists()


def test_deleting_unreferenced_school_redirects_to_the_list(world: Any, login: Any) -> None:
    school = SchoolFactory(code="2111080066", region=world.district_a)
    client = login(world.users["bureau_a"])
    response = client.post(f"/tenancy/schools/{school.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/tenancy/schools/"
    assert not School.objects.filter(pk=school.pk).exists()
    assert AuditEvent.objects.filter(event="delete", object_type="tenancy.school", object_id=str(school.pk)).exists()
    assert "已删除" in client.get("/tenancy/schools/").content.decode()


def test_bureau_cannot_delete_school_of_another_district_through_the_page(world: Any, login: Any) -> None:
    school = SchoolFactory(code="2111050066", region=world.district_b)
    response = login(world.users["bureau_a"]).post(f"/tenancy/schools/{school.pk}/delete/")
    assert response.status_code == 404
    assert School.objects.filter(pk=school.pk).exists()


def test_school_admin_cannot_delete_own_school_through_the_page(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    assert client.get(f"/tenancy/schools/{world.school_a.pk}/delete/").status_code == 403
    assert client.post(f"/tenancy/schools/{world.school_a.pk}/delete/").status_code == 403
    assert School.objects.filter(pk=world.school_a.pk).exists()


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["teacher_a", "parent", "student", "orgteacher_a"])
@pytest.mark.parametrize(
    "path",
    ["/tenancy/schools/", "/tenancy/schools/new/", "/tenancy/organizations/", "/tenancy/regions/", "school_detail"],
)
def test_non_admin_roles_get_a_chinese_403_and_it_is_audited(world: Any, login: Any, key: str, path: str) -> None:
    if path == "school_detail":
        path = f"/tenancy/schools/{world.school_a.pk}/"
    response = login(world.users[key]).get(path)
    assert response.status_code == 403
    html = response.content.decode()
    assert "没有权限" in html
    event = AuditEvent.objects.get(event="permission_denied")
    assert event.user_id == world.users[key].pk
    assert event.outcome == "denied"
    assert event.detail["path"] == path


@pytest.mark.parametrize("key", ["school_a", "org_a"])
def test_school_and_org_admins_cannot_open_create_pages(world: Any, login: Any, key: str) -> None:
    client = login(world.users[key])
    assert client.get("/tenancy/schools/new/").status_code == 403
    assert client.get("/tenancy/organizations/new/").status_code == 403
    assert AuditEvent.objects.filter(event="permission_denied", user_id=world.users[key].pk).count() == 2


def test_bureau_cannot_open_region_create_page(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get("/tenancy/regions/new/")
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()


def test_school_admin_posting_to_create_page_creates_nothing(world: Any, login: Any) -> None:
    response = login(world.users["school_a"]).post("/tenancy/schools/new/", _school_form(world))
    assert response.status_code == 403
    assert not School.objects.filter(code="2111080077").exists()


def test_anonymous_user_is_redirected_to_login(world: Any) -> None:
    from django.test import Client

    response = Client().get("/tenancy/schools/")
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


# --- organization status page -------------------------------------------------------------------


def test_status_page_requires_a_reason_for_suspension(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post(
        f"/tenancy/organizations/{world.org_a.pk}/status/", {"status": "suspended", "reason": ""}
    )
    assert response.status_code == 200
    assert "暂停或退出须填写原因" in response.content.decode()
    assert Organization.objects.get(pk=world.org_a.pk).status == "active"


def test_status_page_suspends_with_reason(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post(
        f"/tenancy/organizations/{world.org_a.pk}/status/",
        {"status": "suspended", "reason": "资质过期", "confirmed": "1"},  # after the confirmation page
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tenancy/organizations/{world.org_a.pk}/"
    assert Organization.objects.get(pk=world.org_a.pk).status == "suspended"
    event = AuditEvent.objects.get(event="update", object_type="tenancy.organization")
    assert event.detail["reason"] == "资质过期"


def test_org_admin_cannot_change_own_status_through_the_page(world: Any, login: Any) -> None:
    response = login(world.users["org_a"]).post(
        f"/tenancy/organizations/{world.org_a.pk}/status/", {"status": "active", "reason": ""}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(event="permission_denied", user_id=world.users["org_a"].pk).exists()


def test_status_page_of_organization_in_another_district_is_404(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).post(
        f"/tenancy/organizations/{world.org_b.pk}/status/", {"status": "suspended", "reason": "x"}
    )
    assert response.status_code == 404
    assert Organization.objects.get(pk=world.org_b.pk).status == "active"
