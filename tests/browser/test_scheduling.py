"""A school admin creates a section of an approved course, generates its lessons and finds them on the week and
month timetable; the section's teacher then sees its week (course, chapter, section) on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PageLog
from .test_journeys import assert_clean, assert_no_horizontal_overflow, login

pytestmark = pytest.mark.browser

FIRST_DAY = "2026-12-02"  # a Wednesday inside the demo term, after today's date in the demo calendar


def _visible_text(page: Any, text: str) -> bool:
    """The week is a grid on a desktop and a day list on a phone; one of them is hidden."""
    return page.get_by_text(text).locator("visible=true").count() > 0


def test_section_created_lessons_generated_and_on_timetables(
    page: Any, page_log: PageLog, viewport: str, demo: Any
) -> None:
    from afterschool.scheduling.models import Lesson, Section
    from afterschool.schools.models import Venue

    login(page, "school")
    page.goto("/scheduling/sections/new/")
    assert_no_horizontal_overflow(page, viewport, "section form")
    page.get_by_label("课班名称").fill("经典诵读 周三班")
    page.get_by_label("学期").select_option(index=1)
    page.get_by_label("课程").select_option(label="经典诵读")
    page.get_by_label("上课形式").select_option("walking")
    page.get_by_label("一年级", exact=True).check()
    page.get_by_label("报名费用（元）").fill("0")
    page.get_by_label("开课日期").fill(FIRST_DAY)
    page.get_by_label("结课日期").fill("2027-01-13")
    venue = Venue.objects.filter(school__code="2111080001", capacity__gte=30).order_by("name").first()
    assert venue is not None
    page.get_by_label("上课场地").select_option(str(venue.pk))
    page.get_by_label("陈老师").check()
    page.locator("select[name$='-weekday']").first.select_option("3")
    page.locator("input[name$='-starts_at']").first.fill("15:40")
    page.locator("input[name$='-ends_at']").first.fill("16:40")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    section = Section.objects.get(name="经典诵读 周三班")
    assert page.url.endswith(f"/scheduling/sections/{section.pk}/")

    with page.expect_navigation():
        page.get_by_role("button", name="生成课次").click()
    lessons = Lesson.objects.filter(section=section).order_by("date")
    assert lessons.count() >= 5
    assert lessons[0].date.isoformat() == FIRST_DAY and lessons[0].chapter is not None
    assert_clean(page, page_log)

    page.goto(f"/scheduling/timetable/?date={FIRST_DAY}")
    assert _visible_text(page, "经典诵读 周三班")
    assert_no_horizontal_overflow(page, viewport, "week timetable")
    page.goto(f"/scheduling/timetable/?view=month&date={FIRST_DAY}")
    assert _visible_text(page, "经典诵读 周三班")
    assert_no_horizontal_overflow(page, viewport, "month timetable")
    assert_clean(page, page_log)

    page.context.clear_cookies()
    login(page, "teacher")
    page.goto(f"/scheduling/timetable/mine/?date={FIRST_DAY}")
    assert_no_horizontal_overflow(page, viewport, "teacher's week")
    first = lessons[0]
    assert _visible_text(page, "经典诵读")
    assert _visible_text(page, first.chapter.title)  # type: ignore[union-attr]
    assert_clean(page, page_log)
