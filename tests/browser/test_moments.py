"""Classroom moments on a phone (issue 8): the parent has the feed open; the organization's teacher posts a moment
with a photo for the art lesson, the school admin approves it (each in their own browser), and the parent's unread
count rises without a reload (server-sent events); the parent then sees the moment at the top of the feed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import DEFAULT_TIMEOUT_MS, PageLog
from .test_journeys import assert_clean, assert_no_horizontal_overflow, login

pytestmark = pytest.mark.browser

TEXT = "今天画了秋天的树叶，每位同学都完成了拓印作品。"


def _photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (46, 204, 113)).save(buffer, format="PNG")
    return buffer.getvalue()


def settled(page: Any) -> None:
    """Wait until the page's live stream has connected and said the count. The live server shares one SQLite
    connection between its threads, so the test lets a page's stream finish connecting before the next request."""
    expect(page.locator("[data-unread-badge]")).to_have_attribute("data-live", "open")


def _last_art_lesson() -> Any:
    from afterschool.core import timeutil
    from afterschool.scheduling.models import Lesson

    return (
        Lesson.objects.filter(
            section__name="少儿创意美术（周二班）", date__lt=timeutil.local_now().date(), status="scheduled"
        )
        .order_by("-date")
        .first()
    )


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_teacher_posts_admin_approves_parent_sees_it_live(
    page: Any, page_log: PageLog, viewport: str, demo: Any, browser: Any, live_server: Any
) -> None:
    lesson = _last_art_lesson()
    assert lesson is not None

    # The parent, on a phone, with the feed open.
    login(page, "13800000001")
    page.goto("/feedback/feed/")
    settled(page)
    assert_no_horizontal_overflow(page, viewport, "the feed")
    badge = page.locator("[data-unread-count]").first
    before = int(badge.get_attribute("data-unread-count") or "0")
    expect(page.get_by_text(TEXT)).to_have_count(0)

    staff = browser.new_context(base_url=live_server.url, locale="zh-CN")
    staff.set_default_timeout(DEFAULT_TIMEOUT_MS)
    desk = staff.new_page()
    try:
        # The organization's teacher posts a moment with a photo.
        login(desk, "orgteacher")
        desk.goto(f"/feedback/lessons/{lesson.pk}/moments/new/")
        settled(desk)
        desk.get_by_label("课堂小结").fill(TEXT)
        desk.locator("input[type=file]").set_input_files(
            [{"name": "leaves.png", "mimeType": "image/png", "buffer": _photo()}]
        )
        with desk.expect_navigation():
            desk.get_by_role("button", name="发布").click()
        settled(desk)
        from afterschool.feedback.models import Moment

        moment = Moment.objects.get(text=TEXT)
        assert moment.status == "pending" and moment.media.count() == 1

        # The parent sees nothing of it yet.
        page.goto("/feedback/feed/")
        settled(page)
        expect(page.get_by_text(TEXT)).to_have_count(0)
        badge = page.locator("[data-unread-count]").first
        before = int(badge.get_attribute("data-unread-count") or "0")

        # The school admin approves it.
        staff.clear_cookies()
        login(desk, "school")
        desk.goto("/feedback/moments/review/")
        settled(desk)
        card = desk.locator(f"#moment-{moment.pk}")
        card.get_by_role("button", name="通过").click()
        expect(desk.locator(f"#moment-{moment.pk}")).to_contain_text("已通过")

        # Without a reload, the parent's unread count rises (pushed over the stream).
        expect(badge).to_have_attribute("data-unread-count", str(before + 1), timeout=15_000)
        expect(badge).to_be_visible()
        page.reload()
        first = page.locator(".moment-card").first
        expect(first).to_contain_text(TEXT)
        expect(first).to_contain_text("少儿创意美术")
        expect(first.locator("img")).to_have_count(1)
        assert_no_horizontal_overflow(page, viewport, "the feed with the new moment")
        assert_clean(page, page_log)
    finally:
        staff.close()
