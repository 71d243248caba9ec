"""Pages of course evaluations: the family's page and star form (Chinese errors, 404 for another family's child or
a section the child is not in), the teacher's anonymous view, the school's and the bureau's statistics and one
section's list (names for the school only), xlsx exports audited; each page for the roles that use it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.feedback.models import Evaluation
from afterschool.feedback.tests.factories import EvaluationSetup, evaluate, freeze_clock, make_evaluation_setup

pytestmark = pytest.mark.django_db

EVALUATE = "/feedback/evaluate/"
MINE = "/feedback/evaluations/mine/"
STATS = "/feedback/evaluations/stats/"
GOOD = {"content_score": "5", "teacher_score": "4", "resources_score": "3", "management_score": "5", "comment": "好"}


@pytest.fixture
def setup(world: Any, monkeypatch: Any) -> EvaluationSetup:
    freeze_clock(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    return make_evaluation_setup(world)


@pytest.fixture
def clients(world: Any, login: Any, setup: EvaluationSetup) -> dict[str, Any]:
    return {key: login(user) for key, user in world.users.items()}


def html(response: Any) -> str:
    return response.content.decode()


def section_url(s: EvaluationSetup, section: Any = None, student: Any = None) -> str:
    return f"{EVALUATE}?student={(student or s.child).pk}&section={(section or s.a).pk}"


def rows_of(response: Any) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- the family ---------------------------------------------------------------------------------------------------


def test_given_a_parent_when_opening_the_page_then_its_childs_sections_with_their_states(
    setup: EvaluationSetup, clients: dict[str, Any], world: Any
) -> None:
    from afterschool.enrollment.tests.factories import EnrollmentFactory
    from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory

    late = SectionFactory(school=world.school_a, term=setup.a.term, name="书法", status="running")
    LessonFactory(section=late, number=1, date=dt.date(2026, 11, 17))
    EnrollmentFactory(section=late, student=setup.child)
    response = clients["parent"].get(EVALUATE)
    assert response.status_code == 200
    page = html(response)
    assert "学生1" in page and "少儿创意美术" in page and "趣味篮球" in page
    assert page.count('data-state="open"') == 2
    assert 'data-state="too_early"' in page and "第 2 次课后可评价" in page
    assert "第 2 次课后即可评价（课班还没有安排第 2 次课）" in page
    assert section_url(setup).replace("&", "&amp;") in page


def test_given_a_parent_when_opening_the_form_then_four_rows_of_five_star_buttons(
    setup: EvaluationSetup, clients: dict[str, Any]
) -> None:
    response = clients["parent"].get(section_url(setup))
    assert response.status_code == 200
    page = html(response)
    assert page.count('type="radio"') == 20
    assert page.count("data-stars") == 4
    for label in ("课程内容", "授课教师", "课程资源", "课堂管理"):
        assert label in page
    assert "js/evaluations.js" in page and "提交评价" in page


def test_given_a_parent_when_submitting_the_stars_then_saved_and_back_to_the_list(
    setup: EvaluationSetup, clients: dict[str, Any], world: Any
) -> None:
    response = clients["parent"].post(section_url(setup), GOOD)
    assert response.status_code == 302
    assert response["Location"] == f"{EVALUATE}?student={setup.child.pk}"
    row = Evaluation.objects.get()
    assert (row.content_score, row.teacher_score, row.resources_score, row.management_score) == (5, 4, 3, 5)
    after = clients["parent"].get(response["Location"])
    page = html(after)
    assert "评价已提交，谢谢您的反馈！" in page
    assert "已评价（可修改至 2026-11-17 17:00）" in page and "修改评价" in page
    form = html(clients["parent"].get(section_url(setup)))
    assert 'name="teacher_score" value="4" data-word="满意" checked' in form and "保存修改" in form
    again = clients["parent"].post(section_url(setup), {**GOOD, "content_score": "1"})
    assert again.status_code == 302
    assert Evaluation.objects.get().content_score == 1


def test_given_missing_or_out_of_range_stars_when_submitting_then_chinese_form_errors(
    setup: EvaluationSetup, clients: dict[str, Any]
) -> None:
    bad = {**GOOD, "teacher_score": "6"}
    bad.pop("content_score")
    response = clients["parent"].post(section_url(setup), bad)
    assert response.status_code == 200
    page = html(response)
    assert "请为“课程内容”打分（1–5 星）" in page
    assert "请为“授课教师”打 1–5 星" in page
    long = clients["parent"].post(section_url(setup), {**GOOD, "comment": "好" * 501})
    assert "评语最多 500 字" in html(long)
    assert Evaluation.objects.count() == 0


def test_given_the_second_lesson_not_started_when_submitting_then_refused_on_the_page(
    setup: EvaluationSetup, clients: dict[str, Any], monkeypatch: Any
) -> None:
    freeze_clock(monkeypatch, dt.datetime(2026, 11, 10, 15, 0))
    assert "第 2 次课后即可评价（11月10日 15:40 开课后）" in html(clients["parent"].get(section_url(setup)))
    response = clients["parent"].post(section_url(setup), GOOD)
    assert response.status_code == 200
    assert "第 2 次课后即可评价（11月10日 15:40 开课后）" in html(response)
    assert Evaluation.objects.count() == 0


def test_given_an_evaluation_older_than_7_days_when_editing_on_the_page_then_refused(
    setup: EvaluationSetup, clients: dict[str, Any], world: Any
) -> None:
    old = evaluate(setup.a, setup.child, (5, 5, 5, 5))
    Evaluation.objects.filter(pk=old.pk).update(created_at=old.created_at - dt.timedelta(days=7))
    assert "已评价" in html(clients["parent"].get(EVALUATE))
    response = clients["parent"].post(section_url(setup), {**GOOD, "content_score": "1"})
    assert response.status_code == 200
    assert "评价已提交超过 7 天，不能再修改" in html(response)
    assert Evaluation.objects.get().content_score == 5


def test_given_another_familys_child_or_a_section_the_child_is_not_in_then_404(
    setup: EvaluationSetup, clients: dict[str, Any]
) -> None:
    parent = clients["parent"]
    assert parent.get(f"{EVALUATE}?student={setup.day.students[1].pk}").status_code == 404
    assert parent.post(section_url(setup, student=setup.day.students[1]), GOOD).status_code == 404
    assert parent.get(section_url(setup, section=setup.section_c)).status_code == 404
    assert parent.post(section_url(setup, section=setup.section_c), GOOD).status_code == 404
    assert parent.get(f"{EVALUATE}?student={setup.child.pk}&section=abc").status_code == 404
    assert parent.get(f"{EVALUATE}?student=99999999999999999999999").status_code == 404
    assert Evaluation.objects.count() == 0


def test_given_a_student_login_when_evaluating_itself_then_it_works(
    setup: EvaluationSetup, clients: dict[str, Any], world: Any
) -> None:
    setup.child.user = world.users["student"]
    setup.child.save(update_fields=["user"])
    assert "少儿创意美术" in html(clients["student"].get(EVALUATE))
    assert clients["student"].post(section_url(setup), GOOD).status_code == 302
    assert Evaluation.objects.get().author == world.users["student"]


def test_given_staff_when_opening_the_family_page_then_forbidden(clients: dict[str, Any]) -> None:
    for key in ("teacher_a", "school_a", "bureau_a"):
        assert clients[key].get(EVALUATE).status_code == 403


# --- the teacher --------------------------------------------------------------------------------------------------


def test_given_a_teacher_when_reading_its_evaluations_then_figures_and_comments_without_names(
    setup: EvaluationSetup, clients: dict[str, Any]
) -> None:
    evaluate(setup.a, setup.day.students[0], (5, 5, 4, 4), "孩子很喜欢")
    evaluate(setup.a, setup.day.students[1], (3, 4, 2, 5), "希望多些动手")
    evaluate(setup.section_c, setup.student_c, (1, 1, 1, 1), "朝阳的评语")
    response = clients["teacher_a"].get(MINE)
    assert response.status_code == 200
    page = html(response)
    assert "孩子很喜欢" in page and "希望多些动手" in page and "朝阳的评语" not in page
    assert "75.0%" in page and "篮球一班" in page
    for name in ("学生1", "学生2", "parent1", "刘女士"):
        assert name not in page
    org = html(clients["orgteacher_a"].get(MINE))
    assert "篮球一班" in org and "孩子很喜欢" not in org
    filtered = html(clients["teacher_a"].get(MINE, {"section": setup.section_b.pk}))
    assert "孩子很喜欢" not in filtered
    assert clients["parent"].get(MINE).status_code == 403
    assert clients["school_a"].get(MINE).status_code == 403


# --- the school and the bureau ------------------------------------------------------------------------------------


@pytest.fixture
def rated(setup: EvaluationSetup) -> EvaluationSetup:
    evaluate(setup.a, setup.day.students[0], (5, 5, 4, 4), "孩子很喜欢")
    evaluate(setup.a, setup.day.students[1], (3, 4, 2, 5), "希望多些动手")
    evaluate(setup.section_b, setup.day.students[0], (4, 3, 5, 1))
    evaluate(setup.section_c, setup.student_c, (1, 1, 1, 1), "朝阳的评语")
    return setup


def test_given_the_school_when_reading_statistics_then_each_grouping_renders_with_the_definition(
    rated: EvaluationSetup, clients: dict[str, Any]
) -> None:
    for group_by in ("section", "course", "teacher", "organization"):
        response = clients["school_a"].get(STATS, {"group_by": group_by})
        assert response.status_code == 200, group_by
        assert "满意度 = 四项评分中 4 星或 5 星所占的比例" in html(response)
    page = html(clients["school_a"].get(STATS))
    assert "少儿创意美术" in page and "75.0%" in page and "66.7%" in page and "朝阳机器人" not in page
    assert "按学校" not in page
    orgs = html(clients["school_a"].get(STATS, {"group_by": "organization"}))
    assert "学校自有课程" in orgs and "海淀活动中心" in orgs
    bad = clients["school_a"].get(STATS, {"date_from": "2026-11-11", "date_to": "2026-11-01", "category": "x"})
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in html(bad)


def test_given_the_bureau_when_reading_statistics_then_by_school_and_nothing_of_the_other_district(
    rated: EvaluationSetup, clients: dict[str, Any]
) -> None:
    page = html(clients["bureau_a"].get(STATS, {"group_by": "school"}))
    assert "海淀实验小学" in page and "朝阳实验小学" not in page and "3.8" in page
    other = html(clients["bureau_b"].get(STATS, {"group_by": "section"}))
    assert "朝阳机器人" in other and "少儿创意美术" not in other
    for key in ("teacher_a", "parent", "org_a"):
        assert clients[key].get(STATS).status_code == 403


def test_given_statistics_when_exported_then_xlsx_with_figures_and_audited(
    rated: EvaluationSetup, clients: dict[str, Any]
) -> None:
    response = clients["school_a"].get(STATS, {"group_by": "teacher", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = rows_of(response)
    assert rows[0] == ["教师", "所属", "评价数", "课程内容", "授课教师", "课程资源", "课堂管理", "综合均分", "满意度"]
    assert ["王老师", "学校教师", 3, "4.0", "4.0", "3.7", "3.3", "3.8", "66.7%"] in rows
    event = AuditEvent.objects.filter(event="export").get()
    assert event.detail["what"] == "evaluation_stats" and event.detail["rows"] == 2


def test_given_one_section_when_the_school_lists_its_evaluations_then_names_and_an_audited_export(
    rated: EvaluationSetup, clients: dict[str, Any]
) -> None:
    url = f"/feedback/evaluations/sections/{rated.a.pk}/"
    page = html(clients["school_a"].get(url))
    assert "学生1" in page and "学生2" in page and "孩子很喜欢" in page and "75.0%" in page
    assert "孩子很喜欢" not in html(clients["school_a"].get(url, {"q": "学生2"}))
    only = html(clients["school_a"].get(url, {"with_comment": "on", "q": "动手"}))
    assert "希望多些动手" in only and "孩子很喜欢" not in only
    export = clients["school_a"].get(url, {"export": "xlsx"})
    rows = rows_of(export)
    assert rows[0][:3] == ["提交时间", "学生", "评价人"]
    assert sorted(r[1] for r in rows[1:]) == ["学生1", "学生2"]
    assert AuditEvent.objects.filter(event="export", detail__what="evaluations").count() == 1


def test_given_one_section_when_the_bureau_lists_it_then_comments_without_names_and_other_districts_404(
    rated: EvaluationSetup, clients: dict[str, Any]
) -> None:
    url = f"/feedback/evaluations/sections/{rated.a.pk}/"
    page = html(clients["bureau_a"].get(url))
    assert "孩子很喜欢" in page and "希望多些动手" in page
    for name in ("学生1", "学生2", "parent1"):
        assert name not in page
    rows = rows_of(clients["bureau_a"].get(url, {"export": "xlsx"}))
    assert rows[0] == ["提交时间", "课程内容", "授课教师", "课程资源", "课堂管理", "评语"]
    assert clients["bureau_b"].get(url).status_code == 404
    assert clients["school_b"].get(url).status_code == 404
    assert clients["teacher_a"].get(url).status_code == 403
    assert clients["school_a"].get("/feedback/evaluations/sections/999999/").status_code == 404
