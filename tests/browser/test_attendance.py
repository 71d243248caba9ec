"""Attendance on a phone (issue 7): the organization's teacher opens today's lesson from 今日课程, checks in from the
phone's position inside the school's area, marks a child present with one tap; the child's parent then sees 出勤
for that lesson on 孩子考勤. A second teacher standing outside the area is refused with the distance named.

"Now" is frozen at three minutes past the start of the art section's next lesson (the live server runs in this
process, so the frozen clock is the server's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from afterschool.attendance.tests.factories import freeze

from .conftest import PageLog
from .test_journeys import assert_clean, assert_no_horizontal_overflow, login

pytestmark = pytest.mark.browser


def _next_art_lesson() -> Any:
    from afterschool.core import timeutil
    from afterschool.scheduling.models import Lesson

    today = timeutil.local_now().date()
    return (
        Lesson.objects.filter(section__name="少儿创意美术（周二班）", date__gt=today, status="scheduled")
        .select_related("section")
        .order_by("date")
        .first()
    )


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_teacher_checks_in_marks_a_child_and_the_parent_sees_it(
    page: Any, page_log: PageLog, viewport: str, demo: Any, monkeypatch: Any
) -> None:
    from afterschool.attendance.selectors.common import settings_for
    from afterschool.schools.models import Student

    lesson = _next_art_lesson()
    assert lesson is not None
    freeze(monkeypatch, dt.datetime.combine(lesson.date, lesson.starts_at) + dt.timedelta(minutes=3))
    area = settings_for(lesson.section.school_id)
    assert area.latitude is not None and area.longitude is not None
    child = Student.objects.get(name="刘小明")

    context = page.context
    context.grant_permissions(["geolocation"])
    # About 40 m north of the centre of the school's check-in area, with a good fix.
    context.set_geolocation(
        {"latitude": float(area.latitude) + 0.00036, "longitude": float(area.longitude), "accuracy": 15}
    )
    try:
        login(page, "orgteacher")
        page.goto("/attendance/today/")
        card = page.get_by_test_id("lesson-card").first  # today's lessons come before the next 7 days'
        expect(card).to_contain_text("少儿创意美术")
        assert_no_horizontal_overflow(page, viewport, "today's lessons")
        with page.expect_navigation():
            card.get_by_role("link").first.click()
        assert page.url.endswith(f"/attendance/lessons/{lesson.pk}/")

        page.get_by_test_id("checkin-button").click()
        expect(page.get_by_test_id("checkin-panel-state")).to_contain_text("已签到")
        assert_no_horizontal_overflow(page, viewport, "the roll")

        row = page.locator(f"#roll-row-{child.pk}")
        row.get_by_test_id("mark-present").click()
        row = page.locator(f"#roll-row-{child.pk}")
        expect(row.get_by_test_id("row-status")).to_have_text("出勤")
        expect(row.get_by_test_id("mark-present")).to_have_attribute("aria-pressed", "true")
        assert_clean(page, page_log)

        # The parent, on the phone, sees the status of that lesson.
        context.clear_cookies()
        login(page, "13800000001")
        page.goto(f"/attendance/children/{child.pk}/")
        lesson_card = page.locator(f"[data-testid=child-lesson][data-lesson='{lesson.pk}']")
        expect(lesson_card.get_by_test_id("lesson-status")).to_have_text("出勤")
        expect(lesson_card).to_contain_text("签到 ")  # the check-in time
        expect(page.get_by_test_id("child-course").filter(has=lesson_card)).to_contain_text("少儿创意美术")
        assert_no_horizontal_overflow(page, viewport, "the child's attendance")
        assert_clean(page, page_log)
    finally:
        context.clear_permissions()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_check_in_outside_the_area_is_refused_with_the_distance(
    page: Any, page_log: PageLog, viewport: str, demo: Any, monkeypatch: Any
) -> None:
    from afterschool.attendance.selectors.common import settings_for

    lesson = _next_art_lesson()
    freeze(monkeypatch, dt.datetime.combine(lesson.date, lesson.starts_at) - dt.timedelta(minutes=5))
    area = settings_for(lesson.section.school_id)
    context = page.context
    context.grant_permissions(["geolocation"])
    # About 1 km north of the centre: outside a 300 m area.
    context.set_geolocation(
        {"latitude": float(area.latitude) + 0.009, "longitude": float(area.longitude), "accuracy": 10}
    )
    try:
        login(page, "orgteacher")
        page.goto(f"/attendance/lessons/{lesson.pk}/")
        page.get_by_test_id("checkin-button").click()
        expect(page.get_by_test_id("checkin-error")).to_contain_text("米")
        expect(page.get_by_test_id("checkin-error")).to_contain_text(f"{area.radius_m}")
        assert_clean(page, page_log, allow_http_errors=True)
    finally:
        context.clear_permissions()


def _label_beside_value(page: Any, card: Any, label: str) -> bool:
    """In a card's field list, the value sits on the label's row, to its right, with the rest of the card's width
    (not squeezed into a narrow column a character wide)."""
    fields = card.locator("dl.fields")
    row = fields.locator("> div", has=page.locator(f"dt:text-is('{label}')"))
    boxes = [fields.bounding_box(), row.locator("dt").bounding_box(), row.locator("dd").bounding_box()]
    assert None not in boxes
    list_box, dt_box, dd_box = boxes
    beside = dd_box["x"] >= dt_box["x"] + dt_box["width"] and abs(dd_box["y"] - dt_box["y"]) < 4
    return beside and dd_box["width"] > list_box["width"] / 2


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_parent_asks_leave_for_a_lesson_then_withdraws_it(
    page: Any, page_log: PageLog, viewport: str, demo: Any
) -> None:
    login(page, "13800000001")
    page.goto("/attendance/leave/new/")
    page.get_by_role("button", name="提交请假").click()
    expect(page.get_by_text("请选择要请假的课次")).to_be_visible()  # nothing ticked: said in Chinese, nothing saved

    first = page.locator("input[name=lessons]:not([disabled])").first
    when = first.locator("xpath=ancestor::li[1]").inner_text().split("\n")[0]
    first.check()
    page.get_by_label("请假原因").fill("感冒发烧，在家休息")
    page.get_by_role("button", name="提交请假").click()
    expect(page).to_have_url("/attendance/leave/mine/")
    expect(page.get_by_text("已提交请假申请，等待老师审批")).to_be_visible()
    card = page.locator("li.selection-card", has_text="感冒发烧，在家休息")
    expect(card.get_by_text("待审批")).to_be_visible()
    assert when.split(" ")[0] in card.inner_text()
    assert _label_beside_value(page, card, "原因") and _label_beside_value(page, card, "请假课次")
    assert_no_horizontal_overflow(page, viewport, "我的请假")

    page.once("dialog", lambda dialog: dialog.accept())  # 撤回这份请假申请？
    card.get_by_role("button", name="撤回").click()
    expect(page.get_by_text("请假申请已撤回")).to_be_visible()
    expect(page.locator("li.selection-card", has_text="感冒发烧，在家休息").get_by_text("已撤回")).to_be_visible()
    assert_clean(page, page_log)
