"""What each role does in a real browser, on a desktop (1280x800) and a phone (375x812) viewport.

Every test gets the demo data (reloaded per test: live_server's database is flushed after each one), a page
with no cookies or storage left from earlier tests, and a log of console errors, page errors and CSP violations.
Run just these with `pytest tests/browser` (or `-m browser`).
The lockout test runs last and resets django-axes, so a failure there cannot lock the other tests out.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from afterschool.accounts.choices import Role
from afterschool.core.demo import DEMO_LOGINS, DEMO_PASSWORD

from .conftest import VIEWPORTS, PageLog

pytestmark = pytest.mark.browser

PASSWORD_LABEL = re.compile(r"^密码")  # the label reads "密码*" (the asterisk is aria-hidden)
# Roles whose menu offers 学校 (afterschool/accounts/navigation.py).
SCHOOL_LIST_ROLES = {Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN}


# --- helpers -------------------------------------------------------------------------------------------


def width_of(viewport: str) -> int:
    return int(VIEWPORTS[viewport]["viewport"]["width"])


def login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def home_title(page: Any) -> Any:
    return page.locator("[data-testid=home-title]")


def open_nav(page: Any, viewport: str) -> Any:
    """Make the main navigation visible: on the phone it hides behind the 菜单 button."""
    nav = page.locator("#nav")
    toggle = page.locator("[data-toggle-nav]")
    if viewport == "phone":
        assert nav.is_hidden(), "the phone menu should start closed"
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
    else:
        assert toggle.is_hidden(), "the 菜单 button should not show on the desktop"
    assert nav.is_visible()
    return nav


def assert_no_horizontal_overflow(page: Any, viewport: str, where: str) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width_of(viewport) + 1, f"{where}: page is {scroll_width}px wide on a {viewport} viewport"


def csp_violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []"))


def assert_clean(page: Any, page_log: PageLog, *, allow_http_errors: bool = False) -> None:
    """No CSP violation (console, pageerror or securitypolicyviolation event) and no script error."""
    assert page_log.csp_problems() == []
    assert csp_violations(page) == []
    assert page_log.page_errors == []
    errors = [
        e
        for e in page_log.console_errors
        # A missing favicon is not the page's fault; refusals (409/429) are the point of some tests.
        if "/favicon.ico" not in e and not (allow_http_errors and "Failed to load resource" in e)
    ]
    assert errors == []


def message_texts(page: Any) -> list[str]:
    return page.locator(".messages .msg").all_inner_texts()


# --- 1 + 2. every demo login lands on its own home page -------------------------------------------------


@pytest.mark.parametrize("demo_login", DEMO_LOGINS, ids=[d.username for d in DEMO_LOGINS])
def test_login_lands_on_role_home(page: Any, page_log: PageLog, viewport: str, demo_login: Any) -> None:
    role = Role(demo_login.role)
    login(page, demo_login.username)

    assert urlsplit(page.url).path == "/"
    assert home_title(page).inner_text() == f"{role.label}工作台"
    assert page.locator("[data-testid=active-role]").inner_text().startswith(role.label)
    # The title may start with the unread count, "(5) " (static/js/live.js).
    assert re.sub(r"^\(\d+\) ", "", page.title()).startswith(f"{role.label}工作台")
    # The stylesheet and htmx really loaded (the live server serves /static/ even with DEBUG off).
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    assert page.evaluate("typeof window.htmx") == "object"
    assert_no_horizontal_overflow(page, viewport, "home")
    if viewport == "phone" and demo_login.username == "school":
        page.screenshot(path="/tmp/phone_home.png", full_page=True)

    nav = open_nav(page, viewport)
    home_link = nav.get_by_role("link", name="首页", exact=True)
    assert home_link.is_visible()
    assert home_link.get_attribute("aria-current") == "page"
    assert nav.get_by_role("button", name="退出登录").is_visible()
    schools_link = nav.get_by_role("link", name="学校", exact=True)
    if role in SCHOOL_LIST_ROLES:
        assert schools_link.is_visible()
        schools_link.click()
        page.wait_for_url("**/tenancy/schools/")
        assert page.get_by_role("heading", name="学校", exact=True).is_visible()
        assert page.locator("#table .count").inner_text().startswith("共 ")
        assert page.locator("#table tbody tr").count() >= 1
        assert_no_horizontal_overflow(page, viewport, "school list")
        if viewport == "phone":
            if demo_login.username == "school":
                page.screenshot(path="/tmp/phone_list.png", full_page=True)
            # Tables turn into one card per row on the phone: no header row, the column name before each value.
            assert page.locator("#table thead").is_hidden()
            first_row = page.locator("#table tbody tr").first
            assert first_row.evaluate("tr => getComputedStyle(tr).display") == "block"
            labels = first_row.locator("td").evaluate_all(
                "tds => tds.map(td => getComputedStyle(td, '::before').content)"
            )
            assert labels == ['"学校标识码："', '"学校名称："', '"办学类型："', '"办学性质："', '"所属区县："']
    else:
        assert schools_link.count() == 0
        nav.get_by_role("link", name="修改密码").click()
        page.wait_for_url("**/accounts/password/change/")
        assert page.get_by_role("heading", name="修改密码").is_visible()
        assert_no_horizontal_overflow(page, viewport, "password change")

    assert_clean(page, page_log)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_admin_pages_have_no_csp_violations(page: Any, page_log: PageLog, viewport: str) -> None:
    """The system admin sees the most pages; walk them (and fire an htmx request), collect CSP reports and check
    that none is wider than the phone. (CSP does not depend on the viewport; the desktop pages of the other
    journeys are checked too.)"""
    login(page, "admin")
    assert home_title(page).inner_text() == "系统管理员工作台"
    for path in (
        "/tenancy/regions/",
        "/tenancy/organizations/",
        "/accounts/users/",
        "/accounts/users/new/",
        "/accounts/audit/",
        "/accounts/tokens/",
        "/accounts/password/change/",
        "/tenancy/schools/",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert_no_horizontal_overflow(page, viewport, path)
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.locator("input[name=q]").fill("海淀")
    page.wait_for_url(re.compile(r"[?&]q="))  # htmx pushes the URL once it has swapped #table
    page.locator("#table td a").first.click()
    page.wait_for_url(re.compile(r"/tenancy/schools/\d+/$"))
    page.get_by_role("link", name="编辑").click()
    page.wait_for_url(re.compile(r"/tenancy/schools/\d+/edit/$"))
    assert_no_horizontal_overflow(page, viewport, "school edit form")
    assert_clean(page, page_log)


# --- 3. role switch and logout ---------------------------------------------------------------------------


def test_teacher_switches_to_parent_then_logs_out(page: Any, page_log: PageLog, viewport: str) -> None:
    login(page, "teacher")
    assert home_title(page).inner_text() == "教师工作台"

    nav = open_nav(page, viewport)
    select = nav.get_by_label("切换角色")
    assert select.is_visible()
    assert nav.get_by_role("button", name="切换", exact=True).is_visible()
    parent_value = select.locator("option", has_text="家长").get_attribute("value")
    # data-autosubmit: choosing the option submits the form without pressing 切换.
    with page.expect_navigation():
        select.select_option(parent_value)
    assert home_title(page).inner_text() == "家长工作台"
    assert any(m.startswith("已切换为：家长") for m in message_texts(page))
    assert page.locator("[data-testid=active-role]").inner_text().startswith("家长")

    # Back to teacher with the 切换 button (for browsers without JS the select alone does nothing).
    nav = open_nav(page, viewport)
    teacher_value = nav.locator("#role-select option", has_text="教师").get_attribute("value")
    page.evaluate(  # set the value without firing "change", so only the button submits
        "v => { document.getElementById('role-select').value = v; }", teacher_value
    )
    with page.expect_navigation():
        nav.get_by_role("button", name="切换", exact=True).click()
    assert home_title(page).inner_text() == "教师工作台"

    nav = open_nav(page, viewport)
    nav.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/accounts/login/")
    assert page.get_by_role("heading", name="登录课后服务平台").is_visible()
    assert "您已安全退出。" in message_texts(page)
    assert page.locator("[data-toggle-nav]").count() == 0  # no menu for anonymous visitors

    page.goto("/")
    assert re.search(r"/accounts/login/\?next=/$", page.url), page.url
    assert page.get_by_label("用户名或手机号").is_visible()
    assert_clean(page, page_log)


# --- 4. search, open, edit a school ----------------------------------------------------------------------


def test_bureau_searches_and_edits_a_school(page: Any, page_log: PageLog, viewport: str) -> None:
    login(page, "bureau")
    open_nav(page, viewport).get_by_role("link", name="学校", exact=True).click()
    page.wait_for_url("**/tenancy/schools/")
    table = page.locator("#table")
    assert table.locator(".count").inner_text() == "共 3 条"

    page.evaluate("window.__samePage = true")  # survives only if htmx swaps #table instead of reloading
    with page.expect_response(
        lambda r: r.request.headers.get("hx-request") == "true" and "/tenancy/schools/" in r.url
    ) as hx:
        page.locator("input[name=q]").fill("二中")
    assert hx.value.status == 200
    expect(page.locator("#table .count")).to_have_text("共 1 条")
    assert page.evaluate("window.__samePage") is True
    rows = table.locator("tbody tr")
    assert rows.count() == 1
    assert "海淀第二中学" in rows.first.inner_text()
    assert "q=%E4%BA%8C%E4%B8%AD" in page.url  # hx-push-url keeps the search in the address bar
    assert_no_horizontal_overflow(page, viewport, "filtered school list")

    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/tenancy/schools/\d+/$"))
    assert page.get_by_role("heading", name="海淀第二中学").is_visible()
    assert_no_horizontal_overflow(page, viewport, "school detail")

    page.get_by_role("link", name="编辑").click()
    page.wait_for_url(re.compile(r"/tenancy/schools/\d+/edit/$"))
    address = page.get_by_label(re.compile(r"^地址"))
    assert address.input_value() == "海淀区学院路 20 号"
    new_address = "海淀区学院路 22 号（新校区）"
    address.fill(new_address)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/tenancy/schools/\d+/$"))

    assert "学校“海淀第二中学”已保存。" in message_texts(page)
    address_value = page.locator(".fields div", has=page.locator("dt", has_text="地址")).locator("dd")
    assert address_value.inner_text() == new_address

    from afterschool.tenancy.models import School

    assert School.objects.get(name="海淀第二中学").address == new_address
    assert_clean(page, page_log)


# --- 5. delete asks first, then refuses what is still referenced -----------------------------------------


def test_delete_of_referenced_school_is_refused(page: Any, page_log: PageLog, viewport: str) -> None:
    from afterschool.tenancy.models import School

    school = School.objects.get(name="海淀实验小学")
    login(page, "bureau")
    page.goto(f"/tenancy/schools/{school.pk}/")
    delete_link = page.get_by_role("link", name="删除")
    if delete_link.count():
        delete_link.click()
        page.wait_for_url(f"**/tenancy/schools/{school.pk}/delete/")
    else:  # the detail page hides the button (see test_detail_page_offers_delete_to_bureau)
        page.goto(f"/tenancy/schools/{school.pk}/delete/")

    assert page.get_by_role("heading", name="删除学校").is_visible()
    assert "确定要删除学校“海淀实验小学”吗？" in page.locator("main").inner_text()
    assert page.locator(".form-error").count() == 0
    assert_no_horizontal_overflow(page, viewport, "delete confirm")

    with (
        page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/delete/")) as posted,
        page.expect_navigation(),
    ):
        page.get_by_role("button", name="确认删除").click()
    assert posted.value.status == 409
    error = page.locator(".form-error[role=alert]").inner_text()
    assert re.fullmatch(r"学校仍被其他数据引用（.+），不能删除", error), error
    assert "合作关系" in error and "角色授权" in error
    assert not re.search(r"[A-Za-z]", error), f"refusal should be all Chinese: {error}"

    assert School.objects.filter(pk=school.pk).exists()
    page.get_by_role("link", name="取消").click()
    page.wait_for_url(f"**/tenancy/schools/{school.pk}/")
    assert page.get_by_role("heading", name="海淀实验小学").is_visible()
    assert_clean(page, page_log, allow_http_errors=True)


# --- 7. first login must change the password -------------------------------------------------------------


def test_forced_password_change_on_first_login(page: Any, page_log: PageLog, viewport: str) -> None:
    from afterschool.accounts.services import user_create
    from afterschool.tenancy.actor import system_actor
    from afterschool.tenancy.models import School

    user, initial_password = user_create(
        actor=system_actor(),
        username="newteacher",
        role=Role.TEACHER,
        school=School.objects.get(name="海淀实验小学"),
        must_change_password=True,
    )
    login(page, "newteacher", initial_password)
    page.wait_for_url("**/accounts/password/change/")
    assert page.locator("[data-testid=forced-change]").is_visible()
    assert_no_horizontal_overflow(page, viewport, "forced password change")

    page.goto("/")  # nothing else is reachable before the change
    assert page.url.endswith("/accounts/password/change/")
    assert page.locator("[data-testid=forced-change]").is_visible()

    new_password = "Kehou#Teach9"
    page.get_by_label(re.compile(r"^原密码")).fill(initial_password)
    page.get_by_label(re.compile(r"^新密码")).fill(new_password)
    page.get_by_label(re.compile(r"^确认新密码")).fill(new_password)
    with page.expect_navigation():
        page.get_by_role("button", name="保存新密码").click()

    assert home_title(page).inner_text() == "教师工作台"
    assert "密码已修改。" in message_texts(page)
    user.refresh_from_db()
    assert user.must_change_password is False
    assert user.check_password(new_password)
    assert_clean(page, page_log)


# --- list and detail page details (found as bugs, kept as regressions) -------------------------------------
# They do not depend on the screen size, so they run on the desktop viewport only.

desktop_only = pytest.mark.parametrize("viewport", ["desktop"], indirect=True)


@desktop_only
def test_detail_page_offers_delete_to_bureau(page: Any, viewport: str) -> None:
    from afterschool.tenancy.models import School

    login(page, "bureau")
    page.goto(f"/tenancy/schools/{School.objects.get(name='海淀第二中学').pk}/")
    assert page.get_by_role("link", name="删除").count() == 1


@desktop_only
def test_filtering_twice_does_not_repeat_the_query(page: Any, viewport: str) -> None:
    login(page, "bureau")
    page.goto("/tenancy/schools/")
    for term in ("海淀", "二中"):
        with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
            page.locator("input[name=q]").fill(term)
        page.wait_for_url(re.compile(r"\?.*q="))
    expect(page.locator("#table .count")).to_have_text("共 1 条")
    assert page.url.count("q=") == 1, page.url


@desktop_only
def test_export_link_follows_the_htmx_filter(page: Any, viewport: str) -> None:
    login(page, "bureau")
    page.goto("/tenancy/schools/")
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.locator("input[name=q]").fill("二中")
    expect(page.locator("#table .count")).to_have_text("共 1 条")
    assert "q=" in (page.get_by_role("link", name="导出 Excel").get_attribute("href") or "")


# --- 6. lockout (last: it locks the client address too; axes is reset afterwards) --------------------------


@pytest.fixture
def reset_axes() -> Any:
    from axes.utils import reset

    yield
    reset()


def test_five_wrong_passwords_lock_the_account(page: Any, page_log: PageLog, viewport: str, reset_axes: Any) -> None:
    lockout = page.locator("[data-testid=lockout]")
    login(page, "student", "Wrong#pass1")
    for attempt in range(1, 5):
        assert page.url.endswith("/accounts/login/")
        assert lockout.count() == 0, f"locked after only {attempt} failures"
        # The plain failure message also mentions "30 分钟", so the lockout is told apart by its own block.
        assert "用户名/手机号或密码不正确" in page.locator(".form-error").inner_text()
        # Retype on the page the failure returned, as a person would (the username stays filled in).
        assert page.get_by_label("用户名或手机号").input_value() == "student"
        page.get_by_label(PASSWORD_LABEL).fill(f"Wrong#pass{attempt + 1}")
        with page.expect_response(lambda r: r.request.method == "POST") as posted, page.expect_navigation():
            page.get_by_role("button", name="登录").click()
    assert posted.value.status == 429  # the fifth failure
    assert lockout.is_visible()
    assert "分钟" in lockout.inner_text()
    assert "已锁定" in lockout.inner_text()

    # Even the right password is refused while locked.
    login(page, "student")
    assert lockout.is_visible()
    assert home_title(page).count() == 0
    assert_no_horizontal_overflow(page, viewport, "lockout page")
    assert_clean(page, page_log, allow_http_errors=True)
