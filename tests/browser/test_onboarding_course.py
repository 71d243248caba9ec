"""An organization applies on the public form, the bureau approves it, the school starts a partnership, the new
org admin logs in (changing its initial password), creates a course with a chapter and submits it, and the
school approves it. The whole §5.1.2 → §5.5.1 → 课程审核 path through the pages, on each viewport."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import PageLog
from .test_journeys import assert_clean, assert_no_horizontal_overflow, login

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _credit_code() -> str:
    from afterschool.tenancy.validators import credit_code_check_char

    first17 = "91110108MA0000099"
    return first17 + credit_code_check_char(first17)


def _logout(page: Any) -> None:
    page.context.clear_cookies()


def test_apply_review_approve_then_course_approved_by_school(
    page: Any, page_log: PageLog, viewport: str, demo: Any
) -> None:
    from afterschool.courses.models import CourseOffer

    # 1. The organization applies, without an account.
    page.goto("/accounts/login/")
    page.get_by_role("link", name="申请入驻").click()
    page.wait_for_url("**/tenancy/apply/")
    assert_no_horizontal_overflow(page, viewport, "application form")
    page.get_by_label("机构名称").fill("北京晨曦体育俱乐部")
    page.get_by_label("统一社会信用代码").fill(_credit_code())
    page.get_by_label("机构类型").select_option("company")
    from afterschool.tenancy.models import Region

    page.get_by_label("申请入驻区县").select_option(str(Region.objects.get(code="110108").pk))
    page.get_by_label("营业执照或登记证书").set_input_files(
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_label("联系人").fill("吴先生")
    page.get_by_label("联系电话").fill("13700000099")
    page.get_by_label("地址").fill("海淀区体育场路 1 号")
    page.get_by_label("体育").check()
    page.get_by_label("师资情况").fill("专职教练 6 人，均有教练员证书。")
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    reference = page.locator("[data-testid=reference]").inner_text()
    assert reference.startswith("RZ")

    # 2. The bureau approves and hands over the org admin's initial password.
    login(page, "bureau")
    page.goto("/tenancy/applications/")
    page.get_by_role("link", name=reference).first.click()
    page.get_by_role("link", name="通过", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name="确认通过").click()
    username = page.locator("[data-testid=username]").inner_text()
    initial_password = page.locator("[data-testid=initial-password]").inner_text()
    assert_clean(page, page_log)
    _logout(page)

    # 3. The school starts cooperating with the new organization.
    login(page, "school")
    page.goto("/tenancy/partnerships/new/")
    page.get_by_label("机构").select_option(label="北京晨曦体育俱乐部")
    page.get_by_label("开始日期").fill("2026-09-01")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "北京晨曦体育俱乐部" in page.content()
    _logout(page)

    # 4. The org admin logs in, sets its own password, creates a course with a chapter and submits it.
    login(page, username, initial_password)
    page.wait_for_url("**/accounts/password/change/")
    new_password = "Chenxi#Club26"
    page.get_by_label(re.compile(r"^原密码")).fill(initial_password)
    page.get_by_label(re.compile(r"^新密码")).fill(new_password)
    page.get_by_label(re.compile(r"^确认新密码")).fill(new_password)
    with page.expect_navigation():
        page.get_by_role("button", name="保存新密码").click()
    page.goto("/courses/new/")
    assert_no_horizontal_overflow(page, viewport, "course form")
    page.get_by_label("课程名称").fill("少儿足球")
    page.get_by_label("课程类别").select_option("sports")
    page.get_by_label("课程简介").fill("足球基本功与团队配合。")
    page.get_by_label("二年级").check()
    page.get_by_label("三年级").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    course_url = page.url
    page.get_by_role("link", name="新增章节").click()
    page.get_by_label("章节标题").fill("认识足球")
    page.get_by_label("教学目标").fill("了解足球规则，完成颠球练习。")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    page.goto(course_url)
    page.get_by_label("海淀实验小学").check()
    with page.expect_navigation():
        page.get_by_role("button", name="提交审核").click()
    offer = CourseOffer.objects.get(course__name="少儿足球")
    assert offer.status == "submitted"
    assert_clean(page, page_log)
    _logout(page)

    # 5. The school approves it from its review queue.
    login(page, "school")
    page.goto("/courses/review/")
    assert_no_horizontal_overflow(page, viewport, "review queue")
    page.get_by_role("link", name="少儿足球").first.click()
    page.get_by_role("link", name="通过", exact=True).first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="确认提交审核结果").click()
    offer.refresh_from_db()
    assert offer.status == "approved"
    assert_clean(page, page_log)
