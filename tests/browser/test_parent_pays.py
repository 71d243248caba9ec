"""A parent picks a course for a child on a phone, pays on the simulated bank's page, and sees the place
confirmed: selection → order with a deadline → the bank (its own process) → the signed notice → paid."""

from __future__ import annotations

from typing import Any

import pytest

from afterschool.payments.tests.conftest import simbank, simbank_process, wait_until  # noqa: F401 (fixtures)

from .conftest import PageLog
from .test_journeys import assert_clean, assert_no_horizontal_overflow, login

pytestmark = pytest.mark.browser

OPEN_SECTION = "少儿创意美术（周四班）"  # open for enrolment in the demo data


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_parent_picks_a_course_pays_on_the_bank_and_sees_the_place_confirmed(
    page: Any,
    page_log: PageLog,
    viewport: str,
    demo: Any,
    simbank: Any,  # noqa: F811
) -> None:
    from afterschool.enrollment.models import Enrollment
    from afterschool.payments.models import Order

    login(page, "13800000001")
    page.goto("/payments/selection/")
    page.get_by_role("link", name="刘雨涵", exact=False).first.click()
    assert_no_horizontal_overflow(page, viewport, "course selection")
    card = page.locator(".selection-card").filter(has_text=OPEN_SECTION)
    card.get_by_role("link", name="报名").click()
    with page.expect_navigation():
        page.get_by_role("button", name="确认报名").click()
    order = Order.objects.get(section__name=OPEN_SECTION, student__name="刘雨涵")
    assert order.status == "pending" and order.amount_fen == 60000
    assert page.locator(".countdown").is_visible()
    assert_no_horizontal_overflow(page, viewport, "order")

    # The bank's notice is held back here: the return page asks the bank itself (the platform's fallback), so only
    # one request at a time reaches the live server (its SQLite test database is one shared connection). The
    # notice path, duplicates included, is tested in afterschool/payments/tests/test_pay.py.
    simbank.set_mode("drop")
    page.get_by_role("button", name="去支付").click()
    page.wait_for_url(f"{simbank.url}/pay/**")
    assert "600.00" in page.content()
    page.get_by_role("button", name="确认支付").click()
    page.wait_for_url("**/payments/pay/return/**")

    wait_until(lambda: Order.objects.get(pk=order.pk).status == "paid", timeout=15)
    page.reload()
    assert page.get_by_text("支付成功，名额已确认").is_visible()
    assert Enrollment.objects.get(pk=order.enrollment_id).status == "active"
    assert_clean(page, page_log)
