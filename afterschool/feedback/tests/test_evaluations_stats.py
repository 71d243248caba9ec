"""课程评价统计 (§5.2.4.2) and the teacher's view (§5.3.3): figures on a hand-computed example, grouped by section,
course, teacher, organization and school; scoping (school, bureau of another district, teachers); anonymous rows for
teachers and the bureau; a constant number of queries.

The example (school_a, district A):
    E1  学生1 on 少儿创意美术 (school course; 王老师)            content 5, teacher 5, resources 4, management 4
    E2  学生2 on 少儿创意美术                                    3, 4, 2, 5
    E3  学生1 on 篮球一班 (org_a's course; 赵老师 and 王老师)     4, 3, 5, 1
and at school_b (district B): E4 朝阳学生 on 朝阳机器人            1, 1, 1, 1.

少儿创意美术: n 2; averages 4.0 4.5 3.0 4.5; overall 32/8 = 4.0; scores ≥ 4: 4 + 2 = 6 of 8 → 75.0 %;
    placed 3, responded 2 → 66.7 %.
篮球一班: n 1; 4.0 3.0 5.0 1.0; overall 13/4 = 3.25 → 3.3; 2 of 4 → 50.0 %; placed 1 → 100.0 %.
王老师 (both sections): n 3; 12/3 = 4.0, 12/3 = 4.0, 11/3 = 3.67 → 3.7, 10/3 = 3.33 → 3.3; overall 45/12 = 3.75 → 3.8;
    8 of 12 → 66.7 %.   赵老师: as 篮球一班.
org_a: as 篮球一班; 学校自有课程: as 少儿创意美术 (for school_a's reader).
school_a (bureau_a): as 王老师.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.feedback.selectors import evaluations as selectors
from afterschool.feedback.tests.factories import EvaluationSetup, evaluate, freeze_clock, make_evaluation_setup
from afterschool.scheduling.tests.factories import SectionFactory, SectionTeacherFactory
from afterschool.schools.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def setup(world: Any, monkeypatch: Any) -> EvaluationSetup:
    freeze_clock(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    s = make_evaluation_setup(world)
    s1, s2 = s.day.students[0], s.day.students[1]
    evaluate(s.a, s1, (5, 5, 4, 4), "孩子很喜欢")
    evaluate(s.a, s2, (3, 4, 2, 5), "希望多些动手")
    evaluate(s.section_b, s1, (4, 3, 5, 1))
    evaluate(s.section_c, s.student_c, (1, 1, 1, 1), "朝阳的评语")
    return s


def figures(row: selectors.StatsRow) -> tuple[Any, ...]:
    return (row.count, *(row.average(a) for a in selectors.ASPECTS), row.overall, row.satisfaction)


def by_label(actor: Any, group_by: str, **filters: Any) -> dict[str, selectors.StatsRow]:
    return {r.label: r for r in selectors.evaluation_stats(actor=actor, filters=filters, group_by=group_by)}


ART = (2, D("4.0"), D("4.5"), D("3.0"), D("4.5"), D("4.0"), D("75.0"))
BALL = (1, D("4.0"), D("3.0"), D("5.0"), D("1.0"), D("3.3"), D("50.0"))
WANG = (3, D("4.0"), D("4.0"), D("3.7"), D("3.3"), D("3.8"), D("66.7"))


def test_given_the_example_when_the_school_groups_by_section_then_figures_as_computed_by_hand(
    world: Any, setup: EvaluationSetup
) -> None:
    rows = by_label(world.actor("school_a"), "section")
    assert set(rows) == {"少儿创意美术", "篮球一班"}
    art, ball = rows["少儿创意美术"], rows["篮球一班"]
    assert figures(art) == ART
    assert figures(ball) == BALL
    assert (art.placed, art.responded, art.response_rate) == (3, 2, D("66.7"))
    assert (ball.placed, ball.responded, ball.response_rate) == (1, 1, D("100.0"))
    assert art.detail == "少儿创意美术 · 王老师 · 2026–2027 学年第一学期"
    assert ball.detail == "趣味篮球 · 赵老师、王老师 · 2026–2027 学年第一学期"


def test_given_the_example_when_grouped_by_teacher_then_each_evaluation_counts_for_every_teacher_of_its_section(
    world: Any, setup: EvaluationSetup
) -> None:
    rows = by_label(world.actor("school_a"), "teacher")
    assert set(rows) == {"王老师", "赵老师"}
    assert figures(rows["王老师"]) == WANG
    assert figures(rows["赵老师"]) == BALL
    assert rows["赵老师"].detail == "海淀活动中心" and rows["王老师"].detail == "学校教师"


def test_given_the_example_when_grouped_by_course_organization_and_school_then_as_computed_by_hand(
    world: Any, setup: EvaluationSetup
) -> None:
    courses = by_label(world.actor("school_a"), "course")
    assert figures(courses["少儿创意美术"]) == ART and figures(courses["趣味篮球"]) == BALL
    assert courses["趣味篮球"].detail == "体育 · 海淀活动中心"
    orgs = selectors.evaluation_stats(actor=world.actor("school_a"), filters={}, group_by="organization")
    assert [(r.label, figures(r)) for r in orgs] == [("海淀活动中心", BALL), ("学校自有课程", ART)]
    schools = by_label(world.actor("bureau_a"), "school")
    assert set(schools) == {"海淀实验小学"}
    assert figures(schools["海淀实验小学"]) == WANG


def test_given_a_school_admin_when_grouping_by_school_then_refused(world: Any, setup: EvaluationSetup) -> None:
    assert "school" not in selectors.groups_for(world.actor("school_a"))
    with pytest.raises(ValidationFailed):
        selectors.evaluation_stats(actor=world.actor("school_a"), filters={}, group_by="school")


def test_given_filters_when_counting_then_only_matching_evaluations(world: Any, setup: EvaluationSetup) -> None:
    bureau = world.actor("bureau_a")
    assert set(by_label(bureau, "section", category="sports")) == {"篮球一班"}
    assert set(by_label(bureau, "section", q="美术")) == {"少儿创意美术"}
    assert figures(by_label(bureau, "teacher", q="赵")["赵老师"]) == BALL
    assert set(by_label(bureau, "teacher", q="赵")) == {"赵老师"}
    assert set(by_label(bureau, "section", term="2026-1")) == {"少儿创意美术", "篮球一班"}
    assert by_label(bureau, "section", term="2025-2") == {}
    day = dt.date(2026, 11, 10)
    assert len(by_label(bureau, "section", date_from=day, date_to=day)) == 2
    assert by_label(bureau, "section", date_from=day + dt.timedelta(days=1)) == {}
    assert by_label(bureau, "section", school=world.school_b.pk) == {}
    with pytest.raises(ValidationFailed):
        by_label(bureau, "section", date_from=day, date_to=day - dt.timedelta(days=1))


def test_given_district_b_when_its_bureau_and_school_read_then_nothing_of_district_a(
    world: Any, setup: EvaluationSetup
) -> None:
    for key in ("bureau_b", "school_b"):
        rows = selectors.evaluation_stats(actor=world.actor(key), filters={}, group_by="section")
        assert [(r.label, r.count) for r in rows] == [("朝阳机器人", 1)]
    schools = by_label(world.actor("bureau_b"), "school", school=world.school_a.pk)
    assert schools == {}
    assert {e.section.name for e in selectors.evaluation_list(actor=world.actor("bureau_b"))} == {"朝阳机器人"}
    assert by_label(world.actor("school_a2"), "section") == {}


def test_given_a_teacher_parent_or_org_admin_when_reading_statistics_then_refused(
    world: Any, setup: EvaluationSetup
) -> None:
    for key in ("teacher_a", "parent", "org_a"):
        with pytest.raises(PermissionDenied):
            selectors.evaluation_stats(actor=world.actor(key), filters={}, group_by="section")


def test_given_more_evaluations_when_computing_statistics_then_the_number_of_queries_does_not_grow(
    world: Any, setup: EvaluationSetup
) -> None:
    actor = world.actor("bureau_a")
    selectors.evaluation_stats(actor=actor, filters={}, group_by="section")  # the region's subtree gets cached
    counts = {}
    for group_by in selectors.GROUPS:
        with CaptureQueriesContext(connection) as before:
            selectors.evaluation_stats(actor=actor, filters={}, group_by=group_by)
        counts[group_by] = len(before)
    for n in range(4):
        section = SectionFactory(school=world.school_a, term=setup.a.term, name=f"新课班{n}", status="running")
        SectionTeacherFactory(section=section)
        for _ in range(3):
            student = StudentFactory(school_class=setup.day.school_class)
            EnrollmentFactory(section=section, student=student)
            evaluate(section, student, (4, 4, 4, 4))
    for group_by, expected in counts.items():
        with CaptureQueriesContext(connection) as after:
            rows = selectors.evaluation_stats(actor=actor, filters={}, group_by=group_by)
        assert len(after) == expected, group_by
        assert sum(r.count for r in rows) >= 15
    assert counts["section"] <= 5


# --- the teacher --------------------------------------------------------------------------------------------------


def test_given_teacher_a_when_reading_its_sections_then_figures_of_both_and_nothing_of_others(
    world: Any, setup: EvaluationSetup
) -> None:
    other = SectionFactory(school=world.school_a, term=setup.a.term, name="别人的课班", status="running")
    SectionTeacherFactory(section=other)
    evaluate(other, setup.day.students[2], (2, 2, 2, 2), "别人的评语")
    rows = {r.label: r for r in selectors.teacher_section_rows(actor=world.actor("teacher_a"))}
    assert set(rows) == {"少儿创意美术", "篮球一班"}
    assert figures(rows["少儿创意美术"]) == ART
    comments = list(selectors.teacher_comments(actor=world.actor("teacher_a")))
    assert sorted(e.comment for e in comments) == ["孩子很喜欢", "希望多些动手"]
    listed = selectors.evaluation_list(actor=world.actor("teacher_a"))
    assert {e.section.name for e in listed} == {"少儿创意美术", "篮球一班"}
    assert selectors.shows_names(world.actor("teacher_a")) is False


def test_given_an_org_teacher_when_reading_then_only_the_section_it_teaches(world: Any, setup: EvaluationSetup) -> None:
    rows = selectors.teacher_section_rows(actor=world.actor("orgteacher_a"))
    assert [(r.label, r.count) for r in rows] == [("篮球一班", 1)]
    assert [e.section.name for e in selectors.evaluation_list(actor=world.actor("orgteacher_a"))] == ["篮球一班"]


def test_given_a_substitute_teaching_one_lesson_when_reading_then_it_sees_that_section(
    world: Any, setup: EvaluationSetup
) -> None:
    from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
    from afterschool.tenancy.actor import Actor

    substitute = UserFactory()
    membership = MembershipFactory(user=substitute, role="teacher", school=world.school_a)
    setup.day.lessons[2].teachers.add(substitute)
    actor = Actor(user=substitute, membership=membership)
    assert [r.label for r in selectors.teacher_section_rows(actor=actor)] == ["少儿创意美术"]


def test_given_each_role_when_listing_evaluations_then_its_own_scope_and_names_only_where_allowed(
    world: Any, setup: EvaluationSetup
) -> None:
    parent = world.actor("parent")
    assert {(e.section.name, e.student.name) for e in selectors.evaluation_list(actor=parent)} == {
        ("少儿创意美术", "学生1"),
        ("篮球一班", "学生1"),
    }
    assert selectors.shows_names(parent) and selectors.shows_names(world.actor("school_a"))
    assert not selectors.shows_names(world.actor("bureau_a"))
    school = selectors.evaluation_list(actor=world.actor("school_a"))
    assert school.count() == 3
    assert selectors.evaluation_list(actor=world.actor("school_a"), filters={"q": "学生2"}).count() == 1
    # The bureau's search does not reach names.
    assert selectors.evaluation_list(actor=world.actor("bureau_a"), filters={"q": "学生2"}).count() == 0
    with pytest.raises(PermissionDenied):
        selectors.evaluation_list(actor=world.actor("org_a"))
