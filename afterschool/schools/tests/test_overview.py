"""The bureau's school overview (§5.1.1): counts, scope, search/filter/paging/export, the read-only school page."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.schools.models import Term
from afterschool.schools.selectors.overview import current_term, school_overview_get, school_overview_list
from afterschool.schools.tests.factories import (
    EmergencyContactFactory,
    GradeFactory,
    SchoolClassFactory,
    StaffFactory,
    StudentFactory,
    TermFactory,
    VenueFactory,
)
from afterschool.tenancy.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/schools/overview"
PAGE = "/school/overview/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _populate(school: Any, *, classes: int, students_per_class: int, staff: int) -> list[Any]:
    grade1 = GradeFactory(school=school, level=1, name="一年级")
    grade2 = GradeFactory(school=school, level=2, name="二年级")
    made = []
    for i in range(classes):
        made.append(SchoolClassFactory(grade=grade1 if i % 2 == 0 else grade2, name=f"{i + 1}班"))
    for school_class in made:
        for _ in range(students_per_class):
            StudentFactory(school_class=school_class)
    for _ in range(staff):
        StaffFactory(school=school)
    return made


@pytest.fixture
def populated(world: Any) -> Any:
    """school_a: 3 classes × 4 students + 1 left student, 5 staff + 1 left; school_a2: 1 × 2; school_b: 1 × 1."""
    classes_a = _populate(world.school_a, classes=3, students_per_class=4, staff=5)
    StudentFactory(school_class=classes_a[0], is_active=False)
    StaffFactory(school=world.school_a, is_active=False)
    _populate(world.school_a2, classes=1, students_per_class=2, staff=1)
    _populate(world.school_b, classes=1, students_per_class=1, staff=1)
    return world


def _rows(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.content
    return {item["code"]: item for item in response.json()["items"]}


def _school_links(html: str) -> set[str]:
    return set(re.findall(r'<a href="/school/overview/(\d+)/">', html))


# --- counts and scope ---------------------------------------------------------------------------


def test_given_populated_schools_when_bureau_lists_overview_then_counts_are_active_rows(
    populated: Any, login: Any
) -> None:
    rows = _rows(login(populated.users["bureau_a"]).get(API))
    assert set(rows) == {"2111080001", "2111080002"}
    a = rows["2111080001"]
    assert (a["staff_count"], a["class_count"], a["student_count"]) == (5, 3, 12)
    assert a["name"] == "海淀实验小学" and a["region_name"] == "海淀区"
    assert a["school_type"] == "primary" and a["nature"] == "public"
    a2 = rows["2111080002"]
    assert (a2["staff_count"], a2["class_count"], a2["student_count"]) == (1, 1, 2)


def test_given_school_without_anything_when_listed_then_counts_are_zero(world: Any, login: Any) -> None:
    rows = _rows(login(world.users["bureau_a"]).get(API))
    assert rows["2111080002"]["staff_count"] == 0
    assert rows["2111080002"]["class_count"] == 0
    assert rows["2111080002"]["student_count"] == 0


def test_given_bureau_b_when_listing_then_only_district_b_schools(populated: Any, login: Any) -> None:
    rows = _rows(login(populated.users["bureau_b"]).get(API))
    assert set(rows) == {"2111050001"}
    assert rows["2111050001"]["student_count"] == 1


def test_given_system_admin_when_listing_then_all_schools(populated: Any, login: Any) -> None:
    assert set(_rows(login(populated.users["system"]).get(API))) == {"2111080001", "2111080002", "2111050001"}


@pytest.mark.parametrize("key", ["school_a", "teacher_a", "org_a", "parent", "student"])
def test_given_non_bureau_role_when_opening_overview_then_403_on_page_and_api(world: Any, login: Any, key: str) -> None:
    client = login(world.users[key])
    assert client.get(PAGE).status_code == 403
    response = client.get(API)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert client.get(f"{API}/{world.school_a.pk}").status_code == 403
    assert client.get(reverse("schools:overview_school", args=[world.school_a.pk])).status_code == 403


def test_given_school_admin_when_selecting_overview_then_refused_and_denial_audited(world: Any, login: Any) -> None:
    login(world.users["school_a"]).get(PAGE)
    assert AuditEvent.objects.filter(event="permission_denied", username="school_a").exists()


def test_given_anonymous_when_opening_overview_then_login_or_401(client: Any, world: Any) -> None:
    assert client.get(PAGE).status_code == 302
    assert client.get(API).status_code == 401


# --- search, filters, paging ----------------------------------------------------------------------


def test_given_query_when_searching_by_name_or_code_prefix_then_only_matches(world: Any, login: Any) -> None:
    client = login(world.users["system"])
    assert set(_rows(client.get(API, {"q": "二小"}))) == {"2111080002"}
    assert set(_rows(client.get(API, {"q": "211105"}))) == {"2111050001"}
    # Searching for another district's school name finds nothing for bureau A.
    assert _rows(login(world.users["bureau_a"]).get(API, {"q": "朝阳"})) == {}


def test_given_type_and_nature_filters_when_listing_then_filtered(world: Any, login: Any) -> None:
    SchoolFactory(
        code="3111080009", name="海淀民办中学", region=world.district_a, school_type="junior", nature="private"
    )
    client = login(world.users["bureau_a"])
    assert set(_rows(client.get(API, {"school_type": "junior"}))) == {"3111080009"}
    assert set(_rows(client.get(API, {"nature": "public"}))) == {"2111080001", "2111080002"}
    assert client.get(API, {"nature": "bogus"}).status_code == 422


def test_given_page_size_one_when_paging_then_two_pages(world: Any, login: Any) -> None:
    body = login(world.users["bureau_a"]).get(API, {"page_size": 1, "page": 2}).json()
    assert (body["count"], body["page"], body["num_pages"]) == (2, 2, 2)
    assert [item["code"] for item in body["items"]] == ["2111080002"]


def test_given_bureau_when_opening_overview_page_then_table_with_counts_and_links(populated: Any, login: Any) -> None:
    response = login(populated.users["bureau_a"]).get(PAGE, {"q": "实验"})
    assert response.status_code == 200
    html = response.content.decode()
    assert _school_links(html) == {str(populated.school_a.pk)}
    assert 'data-label="学生">12<' in html
    assert 'data-label="班级">3<' in html
    assert "朝阳实验小学" not in html


def test_given_empty_school_when_listed_on_page_then_zero_not_dash(world: Any, login: Any) -> None:
    html = login(world.users["bureau_a"]).get(PAGE, {"q": "二小"}).content.decode()
    assert 'data-label="学生">0<' in html and 'data-label="教职工">0<' in html


def test_given_unknown_filter_value_on_page_when_listing_then_ignored(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get(PAGE, {"school_type": "bogus"})
    assert response.status_code == 200
    assert "共 2 条" in response.content.decode()


def test_given_htmx_request_when_filtering_then_only_the_table(world: Any, login: Any) -> None:
    response = login(world.users["bureau_a"]).get(PAGE, {"q": "二小"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html.lower() and "<table" in html
    assert _school_links(html) == {str(world.school_a2.pk)}


# --- export ---------------------------------------------------------------------------------------


def test_given_bureau_when_exporting_then_xlsx_of_its_schools_and_audited(populated: Any, login: Any) -> None:
    response = login(populated.users["bureau_a"]).get(PAGE, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ("学校名称", "学校标识码", "所属区县", "办学类型", "办学性质", "教职工", "班级", "学生")
    assert rows[1:] == [
        ("海淀实验小学", "2111080001", "海淀区", "小学", "公办", 5, 3, 12),
        ("海淀二小", "2111080002", "海淀区", "小学", "公办", 1, 1, 2),
    ]
    event = AuditEvent.objects.get(event="export", username="bureau_a")
    assert event.detail["what"] == "school_overview"


def test_given_school_admin_when_exporting_then_403_and_nothing_exported(world: Any, login: Any) -> None:
    response = login(world.users["school_a"]).get(PAGE, {"export": "xlsx"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(event="export").exists()


# --- no N+1 ---------------------------------------------------------------------------------------


def test_given_region_cache_warm_when_listing_then_one_query(populated: Any, django_assert_num_queries: Any) -> None:
    actor = populated.actor("bureau_a")
    list(school_overview_list(actor=actor))  # warms the region subtree cache
    with django_assert_num_queries(1):
        rows = list(school_overview_list(actor=actor))
    assert [r.student_count for r in rows] == [12, 2]


def test_given_more_schools_when_calling_api_then_query_count_does_not_grow(world: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    client.get(API)  # warm the session and the region cache
    with CaptureQueriesContext(connection) as few:
        assert client.get(API).status_code == 200
    for n in range(8):
        school = SchoolFactory(code=f"21110811{n:02d}", region=world.district_a)
        _populate(school, classes=2, students_per_class=1, staff=1)
    with CaptureQueriesContext(connection) as many:
        body = client.get(API).json()
    assert body["count"] == 10
    assert len(many) == len(few)
    page = login(world.users["bureau_a"])
    page.get(PAGE)
    with CaptureQueriesContext(connection) as page_queries:
        assert page.get(PAGE).status_code == 200
    assert len(page_queries) <= len(few) + 2


# --- the read-only school page ---------------------------------------------------------------------


@pytest.fixture
def informed(populated: Any) -> Any:
    school = populated.school_a
    VenueFactory(school=school, name="体育馆", kind="gym", capacity=200)
    VenueFactory(school=school, name="美术教室", kind="art", capacity=45)
    EmergencyContactFactory(school=school, name="王建华", title="校长", phone="010-62001001")
    term = TermFactory(school=school, academic_year=2026, term_number=1)
    term.registration_windows.create(
        name="秋季报名",
        opens_at=dt.datetime(2026, 8, 25, 1, 0, tzinfo=dt.UTC),
        closes_at=dt.datetime(2026, 8, 28, 9, 0, tzinfo=dt.UTC),
    )
    VenueFactory(school=populated.school_b, name="朝阳礼堂")
    return populated


def test_given_bureau_when_opening_school_page_then_basic_data_grades_venues_contacts_term(
    informed: Any, login: Any
) -> None:
    response = login(informed.users["bureau_a"]).get(reverse("schools:overview_school", args=[informed.school_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("2111080001", "海淀实验小学", "海淀区", "小学", "公办", "体育馆", "体育馆", "美术教室", "王建华"):
        assert text in html
    assert "010-62001001" in html
    assert "2026–2027 学年第一学期" in html and "秋季报名" in html
    assert "2026-08-25 09:00" in html  # shown in Asia/Shanghai
    assert re.search(r"<td data-label=\"年级\">一年级</td><td data-label=\"班级数\">2</td>"
                     r"<td data-label=\"学生数\">8</td>", html)  # fmt: skip
    assert 'data-testid="staff-count">5<' in html
    assert 'data-testid="student-count">12<' in html
    assert "朝阳礼堂" not in html


def test_given_school_page_when_rendered_then_no_write_links(informed: Any, login: Any) -> None:
    html = login(informed.users["system"]).get(f"/school/overview/{informed.school_a.pk}/").content.decode()
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert not [h for h in hrefs if re.search(r"/(edit|delete|new)/?$", h)]
    actions = re.findall(r'<form[^>]*action="([^"]*)"', html)
    assert all(a.startswith("/accounts/") for a in actions), actions  # only the layout's logout/role forms
    assert "编辑" not in html and "删除" not in html


def test_given_other_district_school_when_bureau_opens_it_then_404_on_page_and_api(informed: Any, login: Any) -> None:
    client = login(informed.users["bureau_b"])
    assert client.get(f"/school/overview/{informed.school_a.pk}/").status_code == 404
    response = client.get(f"{API}/{informed.school_a.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(f"/school/overview/{informed.school_b.pk}/").status_code == 200


def test_given_missing_school_when_opened_then_404(world: Any, login: Any) -> None:
    client = login(world.users["system"])
    assert client.get("/school/overview/999999/").status_code == 404
    assert client.get(f"{API}/999999").status_code == 404


def test_given_bureau_when_reading_school_api_then_same_information(informed: Any, login: Any) -> None:
    body = login(informed.users["bureau_a"]).get(f"{API}/{informed.school_a.pk}").json()
    assert body["code"] == "2111080001" and body["region_name"] == "海淀区"
    assert (body["staff_count"], body["student_count"]) == (5, 12)
    assert [(g["name"], g["class_count"], g["student_count"]) for g in body["grades"]] == [
        ("一年级", 2, 8),
        ("二年级", 1, 4),
    ]
    assert [(v["name"], v["kind"], v["capacity"]) for v in body["venues"]] == [
        ("体育馆", "gym", 200),
        ("美术教室", "art", 45),
    ]
    assert [c["name"] for c in body["emergency_contacts"]] == ["王建华"]
    assert body["term"]["name"] == "2026–2027 学年第一学期"
    assert [w["name"] for w in body["registration_windows"]] == ["秋季报名"]


def test_given_school_without_term_when_read_then_term_is_null(world: Any, login: Any) -> None:
    body = login(world.users["bureau_a"]).get(f"{API}/{world.school_a2.pk}").json()
    assert body["term"] is None and body["registration_windows"] == [] and body["grades"] == []


def test_given_terms_when_choosing_current_then_running_else_next_else_last(world: Any) -> None:
    school = world.school_a
    last = TermFactory(school=school, academic_year=2025, term_number=2,
                       starts_on=dt.date(2026, 2, 20), ends_on=dt.date(2026, 7, 10))  # fmt: skip
    running = TermFactory(school=school, academic_year=2026, term_number=1,
                          starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 1, 22))  # fmt: skip
    terms = Term.objects.filter(school=school)
    assert current_term(terms, dt.date(2026, 10, 8)) == running
    assert current_term(terms, dt.date(2026, 8, 1)) == running  # the next one to start
    assert current_term(terms, dt.date(2027, 3, 1)) == running  # the last one that ended
    assert current_term(terms, dt.date(2026, 3, 1)) == last
    assert current_term(Term.objects.none(), dt.date(2026, 3, 1)) is None


def test_given_grade_of_other_school_when_bureau_reads_then_never_mixed(informed: Any) -> None:
    info = school_overview_get(actor=informed.actor("bureau_b"), school_id=informed.school_b.pk)
    assert [(g.name, g.student_count) for g in info.grades] == [("一年级", 1), ("二年级", 0)]  # type: ignore[attr-defined]
    assert [v.name for v in info.venues] == ["朝阳礼堂"]
    assert info.term is None
