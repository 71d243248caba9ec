"""The bureau's patrol summary (巡课汇总): numbers on a hand-built example, per school and per section, region
scoping (bureau_b sees nothing of district A), aggregate queries only, pages, export and API."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.attendance.tests.factories import freeze
from afterschool.core.errors import NotFound
from afterschool.patrol.selectors import summary as selectors
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory

from .conftest import patroller_user
from .factories import PatrolCriterionFactory, patrol_of

pytestmark = pytest.mark.django_db

API = "/api/v1/patrol"
NOV = {"date_from": dt.date(2026, 11, 1), "date_to": dt.date(2026, 11, 30)}


@pytest.fixture
def example(world: Any, day: Any, monkeypatch: Any) -> Any:
    """Now: 20 Nov 2026 noon. school_a: the art section's lessons of 3, 10 and 17 Nov were held (24 Nov not yet); a
    second section 趣味编程 held 5 Nov, cancelled 12 Nov, and had a lesson on 29 Oct (outside November).

    Patrols (score %, teacher present; item scores):
      art 3 Nov  by P1: 80, present; 课堂秩序 4 (75), 教学效果 5 (100)
      art 3 Nov  by P2: 60, absent;  课堂秩序 2 (25), 教学效果 4 (75)
      art 10 Nov by P1: 90, present; 课堂秩序 3 (50), 教学效果 5 (100)
      编程 5 Nov by P1: 70, present; 安全管理 (0–10) 7 (70)
      编程 29 Oct by P1: 10, absent (outside the range)
    school_a2: nothing. school_b: one lesson held 10 Nov, patrolled once (50)."""
    freeze(monkeypatch, dt.datetime(2026, 11, 20, 12, 0))
    order, teaching, safety, _attendance = day.extra["rubric"]
    safety.scale = "ten"
    safety.save()
    p1, p2 = day.extra["patroller"], patroller_user(world.school_a, username="xunke_a2", name="巡课周老师")
    coding = SectionFactory(school=world.school_a, term=day.section.term, name="趣味编程", status="running")
    held = LessonFactory(section=coding, date=dt.date(2026, 11, 5))
    LessonFactory(section=coding, date=dt.date(2026, 11, 12), status="cancelled")
    october = LessonFactory(section=coding, date=dt.date(2026, 10, 29))
    art_3, art_10 = day.lessons[0], day.lessons[1]
    patrol_of(art_3, p1, [(order, 4), (teaching, 5)], score_percent=80)
    patrol_of(art_3, p2, [(order, 2), (teaching, 4)], score_percent=60, teacher_present=False)
    patrol_of(art_10, p1, [(order, 3), (teaching, 5)], score_percent=90)
    patrol_of(held, p1, [(safety, 7)], score_percent=70)
    patrol_of(october, p1, [(order, 1)], score_percent=10, teacher_present=False)
    b_item = PatrolCriterionFactory(school=world.school_b, name="纪律")
    patrol_of(day.other_lesson, patroller_user(world.school_b, username="xunke_b"), [(b_item, 3)], score_percent=50)
    day.extra["coding"] = coding
    return day


def _row(row: selectors.SummaryRow) -> tuple[Any, ...]:
    return (
        row.name, row.held, row.patrolled, row.coverage_percent, row.patrols, row.average_percent, row.teacher_absent,
        row.lowest_item, row.lowest_item_percent,
    )  # fmt: skip


def test_school_summary_numbers_on_the_hand_built_example(world: Any, example: Any) -> None:
    rows = selectors.school_summary(actor=world.actor("bureau_a"), filters=NOV)
    assert [_row(r) for r in rows] == [
        ("海淀二小", 0, 0, None, 0, None, 0, "", None),
        ("海淀实验小学", 4, 3, Decimal("75.0"), 4, Decimal("75.0"), 1, "课堂秩序", Decimal("50.0")),
    ]


def test_section_summary_of_one_school(world: Any, example: Any) -> None:
    rows = selectors.section_summary(actor=world.actor("bureau_a"), school_id=world.school_a.pk, filters=NOV)
    assert [_row(r) for r in rows] == [
        ("少儿创意美术", 3, 2, Decimal("66.7"), 3, Decimal("76.7"), 1, "课堂秩序", Decimal("50.0")),
        ("趣味编程", 1, 1, Decimal("100.0"), 1, Decimal("70.0"), 0, "安全管理", Decimal("70.0")),
    ]


def test_the_range_and_its_default(world: Any, example: Any) -> None:
    october = {"date_from": dt.date(2026, 10, 1), "date_to": dt.date(2026, 10, 31)}
    a = next(r for r in selectors.school_summary(actor=world.actor("bureau_a"), filters=october) if r.held)
    assert _row(a) == ("海淀实验小学", 1, 1, Decimal("100.0"), 1, Decimal("10.0"), 1, "课堂秩序", Decimal("0.0"))
    assert selectors.date_range({}) == (dt.date(2026, 10, 22), dt.date(2026, 11, 20))
    assert [r.name for r in selectors.school_summary(actor=world.actor("bureau_a"), filters={"q": "二小"})] == [
        "海淀二小"
    ]


def test_region_scoping_bureau_b_sees_nothing_of_district_a(world: Any, example: Any) -> None:
    rows = selectors.school_summary(actor=world.actor("bureau_b"), filters=NOV)
    assert [_row(r) for r in rows] == [
        ("朝阳实验小学", 1, 1, Decimal("100.0"), 1, Decimal("50.0"), 0, "纪律", Decimal("50.0"))
    ]
    with pytest.raises(NotFound):
        selectors.section_summary(actor=world.actor("bureau_b"), school_id=world.school_a.pk, filters=NOV)
    assert {r.name for r in selectors.school_summary(actor=world.actor("system"), filters=NOV)} == {
        "海淀二小", "海淀实验小学", "朝阳实验小学",
    }  # fmt: skip
    for key in ("school_a", "teacher_a", "org_a", "parent"):
        assert selectors.school_summary(actor=world.actor(key), filters=NOV) == []


def test_the_summary_is_a_few_aggregate_queries_whatever_the_size(world: Any, example: Any) -> None:
    actor = world.actor("bureau_a")
    selectors.school_summary(actor=actor, filters=NOV)  # the region's subtree is cached from here on
    with CaptureQueriesContext(connection) as few:
        selectors.school_summary(actor=actor, filters=NOV)
    for n in range(3):
        lesson = LessonFactory(section=example.section, date=dt.date(2026, 11, 4 + n))
        patrol_of(lesson, example.extra["patroller"], [(example.extra["rubric"][0], 5)])
    with CaptureQueriesContext(connection) as more:
        rows = selectors.school_summary(actor=actor, filters=NOV)
    assert len(more) == len(few) <= 6
    assert next(r for r in rows if r.held).patrols == 7


# --- pages, export, API ---------------------------------------------------------------------------------------------


def test_summary_pages_for_the_bureau_only(world: Any, example: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    page = client.get(reverse("patrol:summary"), {"date_from": "2026-11-01", "date_to": "2026-11-30"})
    html = page.content.decode()
    assert page.status_code == 200
    assert '<td data-label="覆盖率">75.0%</td>' in html and "课堂秩序（50.0%）" in html and "朝阳" not in html
    school = client.get(
        reverse("patrol:summary_school", args=[world.school_a.pk]), {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    )
    html = school.content.decode()
    assert school.status_code == 200 and "趣味编程" in html and "巡课周老师" in html and "共 4 条" in html
    assert (
        "/patrol/lessons/" not in html and "/patrol/rubric/" not in html and 'method="post" action="/patrol' not in html
    )
    assert (
        login(world.users["bureau_b"]).get(reverse("patrol:summary_school", args=[world.school_a.pk])).status_code
        == 404
    )
    for key in ("school_a", "teacher_a", "parent"):
        assert login(world.users[key]).get(reverse("patrol:summary")).status_code == 403
    bad = client.get(reverse("patrol:summary"), {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.content.decode()


def test_summary_export_is_audited(world: Any, example: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    response = client.get(
        reverse("patrol:summary"), {"date_from": "2026-11-01", "date_to": "2026-11-30", "export": "xlsx"}
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("学校", "上课课次", "已巡课次", "巡课覆盖率（%）")
    assert rows[2] == ("海淀实验小学", 4, 3, 75.0, 4, 75.0, 1, "课堂秩序", 50.0)
    by_section = client.get(reverse("patrol:summary_school", args=[world.school_a.pk]), {"export": "xlsx"})
    header = next(load_workbook(io.BytesIO(by_section.content)).active.iter_rows(values_only=True))
    assert header[0] == "课班"
    assert AuditEvent.objects.filter(event="export", detail__what="patrol_summary").count() == 2


def test_summary_api(world: Any, example: Any, login: Any) -> None:
    client = login(world.users["bureau_a"])
    body = client.get(f"{API}/summary", {"date_from": "2026-11-01", "date_to": "2026-11-30"}).json()
    assert (body["date_from"], body["date_to"]) == ("2026-11-01", "2026-11-30")
    a = next(i for i in body["items"] if i["id"] == world.school_a.pk)
    assert (a["lessons_held"], a["lessons_patrolled"], a["coverage_percent"], a["patrols"]) == (4, 3, 75.0, 4)
    assert (a["average_percent"], a["teacher_absent"], a["lowest_item"]) == (75.0, 1, "课堂秩序")
    sections = client.get(f"{API}/summary/schools/{world.school_a.pk}", {"date_from": "2026-11-01"}).json()
    assert [s["name"] for s in sections["items"]] == ["少儿创意美术", "趣味编程"]
    other = login(world.users["bureau_b"])
    assert [i["name"] for i in other.get(f"{API}/summary").json()["items"]] == ["朝阳实验小学"]
    assert other.get(f"{API}/summary/schools/{world.school_a.pk}").status_code == 404
    assert login(world.users["school_a"]).get(f"{API}/summary").status_code == 403
    assert json.loads(login(world.users["parent"]).get(f"{API}/summary").content)["code"] == "permission_denied"
