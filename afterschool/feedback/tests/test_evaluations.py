"""Course evaluations (§5.4.6): who may evaluate which section and when, the scores' range, once per section with an
edit window, the audit, the family's list of sections with their states, and the scoped list (teachers and the
bureau anonymous, families their own)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.feedback.models import Evaluation
from afterschool.feedback.selectors import evaluations as selectors
from afterschool.feedback.services import evaluations as services
from afterschool.feedback.tests.factories import EvaluationSetup, freeze_clock, make_evaluation_setup
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory

pytestmark = pytest.mark.django_db

GOOD = {"content_score": 5, "teacher_score": 4, "resources_score": 3, "management_score": 5}


def nov(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute)


@pytest.fixture
def setup(world: Any, monkeypatch: Any) -> EvaluationSetup:
    freeze_clock(monkeypatch, nov(10, 17))
    return make_evaluation_setup(world)


def submit(world: Any, s: EvaluationSetup, *, key: str = "parent", section: Any = None, student: Any = None,
           scores: dict[str, Any] | None = None, comment: str = "") -> tuple[Evaluation, bool]:  # fmt: skip
    return services.evaluation_submit(
        actor=world.actor(key), student=student or s.child, section=section or s.a, scores=scores or GOOD,
        comment=comment,
    )  # fmt: skip


# --- when ---------------------------------------------------------------------------------------------------------


def test_given_only_the_first_lesson_started_when_parent_evaluates_then_refused_with_when_it_opens(
    world: Any, monkeypatch: Any, setup: EvaluationSetup
) -> None:
    freeze_clock(monkeypatch, nov(10, 15, 39))
    with pytest.raises(Conflict) as caught:
        submit(world, setup)
    assert caught.value.code == "too_early"
    assert caught.value.message == "第 2 次课后即可评价（11月10日 15:40 开课后）"
    assert Evaluation.objects.count() == 0


def test_given_the_second_lesson_has_started_when_parent_evaluates_then_saved_and_audited(
    world: Any, monkeypatch: Any, setup: EvaluationSetup
) -> None:
    freeze_clock(monkeypatch, nov(10, 15, 40))
    _, created = submit(world, setup, comment="  孩子很喜欢  ")
    assert created is True
    row = Evaluation.objects.get()
    assert (row.section_id, row.student_id, row.author_id) == (setup.a.pk, setup.child.pk, world.users["parent"].pk)
    assert (row.content_score, row.teacher_score, row.resources_score, row.management_score) == (5, 4, 3, 5)
    assert row.comment == "孩子很喜欢"
    event = AuditEvent.objects.filter(object_type="feedback.evaluation", object_id=str(row.pk)).get()
    assert event.event == "create"
    assert event.detail["content_score"] == 5


def test_given_the_second_lesson_cancelled_when_evaluating_then_the_third_lesson_opens_it(
    world: Any, monkeypatch: Any, setup: EvaluationSetup
) -> None:
    setup.day.lessons[1].status = "cancelled"
    setup.day.lessons[1].save(update_fields=["status"])
    with pytest.raises(Conflict) as caught:
        submit(world, setup)
    assert caught.value.message == "第 2 次课后即可评价（11月17日 15:40 开课后）"
    freeze_clock(monkeypatch, nov(17, 15, 40))
    assert submit(world, setup)[1] is True


def test_given_a_section_without_a_second_lesson_when_evaluating_then_refused_saying_none_is_scheduled(
    world: Any, setup: EvaluationSetup
) -> None:
    section = SectionFactory(school=world.school_a, term=setup.a.term, status="running", ends_on=dt.date(2026, 12, 31))
    LessonFactory(section=section, number=1, date=dt.date(2026, 11, 3))
    EnrollmentFactory(section=section, student=setup.child)
    with pytest.raises(Conflict) as caught:
        submit(world, setup, section=section)
    assert caught.value.message == "第 2 次课后即可评价（课班还没有安排第 2 次课）"


# --- what ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 6, -1, "5.5", "", None, True])
def test_given_a_score_outside_1_to_5_when_evaluating_then_422_naming_the_aspect(
    world: Any, setup: EvaluationSetup, bad: Any
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        submit(world, setup, scores={**GOOD, "teacher_score": bad})
    assert caught.value.status == 422
    assert caught.value.detail == {"teacher_score": ["请为“授课教师”打 1–5 星"]}
    assert Evaluation.objects.count() == 0


def test_given_a_comment_of_501_characters_when_evaluating_then_refused(world: Any, setup: EvaluationSetup) -> None:
    with pytest.raises(ValidationFailed) as caught:
        submit(world, setup, comment="好" * 501)
    assert caught.value.detail == {"comment": ["评语最多 500 字"]}
    assert submit(world, setup, comment="好" * 500)[0].comment == "好" * 500


# --- once, with an edit window ------------------------------------------------------------------------------------


def test_given_an_evaluation_when_submitted_again_within_7_days_then_the_same_row_is_edited(
    world: Any, monkeypatch: Any, setup: EvaluationSetup
) -> None:
    first, _ = submit(world, setup)
    freeze_clock(monkeypatch, nov(17, 16, 59))  # 6 days 23 h 59 min later
    second, created = submit(world, setup, scores={**GOOD, "content_score": 2}, comment="改一下")
    assert created is False and second.pk == first.pk
    assert Evaluation.objects.count() == 1
    row = Evaluation.objects.get()
    assert (row.content_score, row.comment) == (2, "改一下")
    event = AuditEvent.objects.filter(object_type="feedback.evaluation", event="update").get()
    assert event.detail["before"]["content_score"] == 5 and event.detail["after"]["content_score"] == 2


def test_given_an_evaluation_of_7_days_ago_when_submitted_again_then_refused(
    world: Any, monkeypatch: Any, setup: EvaluationSetup
) -> None:
    submit(world, setup)
    freeze_clock(monkeypatch, nov(17, 17))
    with pytest.raises(Conflict) as caught:
        submit(world, setup, scores={**GOOD, "content_score": 1})
    assert (caught.value.code, caught.value.message) == ("edit_window_closed", "评价已提交超过 7 天，不能再修改")
    assert Evaluation.objects.get().content_score == 5


def test_given_the_parent_evaluated_when_the_student_itself_submits_then_it_edits_the_same_evaluation(
    world: Any, setup: EvaluationSetup
) -> None:
    setup.child.user = world.users["student"]
    setup.child.save(update_fields=["user"])
    submit(world, setup)
    evaluation, created = submit(world, setup, key="student", scores={**GOOD, "management_score": 1})
    assert created is False
    assert (evaluation.management_score, evaluation.author_id) == (1, world.users["student"].pk)
    assert Evaluation.objects.count() == 1


# --- whose --------------------------------------------------------------------------------------------------------


def test_given_another_familys_child_when_parent_evaluates_then_not_found(world: Any, setup: EvaluationSetup) -> None:
    with pytest.raises(NotFound):
        submit(world, setup, student=setup.day.students[1])
    with pytest.raises(NotFound):
        selectors.child_get(actor=world.actor("parent"), student_id=setup.day.students[1].pk)


def test_given_a_section_the_child_is_not_in_when_evaluating_then_not_found(world: Any, setup: EvaluationSetup) -> None:
    with pytest.raises(NotFound):
        submit(world, setup, section=setup.section_c)
    with pytest.raises(NotFound):
        submit(world, setup, section=2**70)


def test_given_the_child_withdrew_mid_term_when_evaluating_then_not_found_but_a_place_held_to_the_end_counts(
    world: Any, setup: EvaluationSetup
) -> None:
    from django.utils import timezone

    enrollment = setup.child.enrollments.get(section=setup.section_b)
    enrollment.status, enrollment.ended_at = "withdrawn", timezone.now()
    enrollment.save(update_fields=["status", "ended_at"])
    with pytest.raises(NotFound):
        submit(world, setup, section=setup.section_b)
    enrollment.ended_at = timezone.make_aware(dt.datetime(2027, 1, 2))  # after the section's end (31 Dec)
    enrollment.save(update_fields=["ended_at"])
    assert submit(world, setup, section=setup.section_b)[1] is True


def test_given_a_teacher_or_school_admin_when_evaluating_then_refused(world: Any, setup: EvaluationSetup) -> None:
    for key in ("teacher_a", "school_a", "bureau_a"):
        with pytest.raises(PermissionDenied):
            submit(world, setup, key=key)


# --- the family's sections ----------------------------------------------------------------------------------------


def test_given_sections_in_each_state_when_the_family_lists_them_then_each_shows_its_state(
    world: Any, monkeypatch: Any, setup: EvaluationSetup
) -> None:
    late = SectionFactory(
        school=world.school_a, term=setup.a.term, name="书法", status="running", ends_on=dt.date(2026, 12, 31)
    )
    LessonFactory(
        section=late, number=1, date=dt.date(2026, 11, 10), starts_at=dt.time(16, 50), ends_at=dt.time(17, 30)
    )
    LessonFactory(
        section=late, number=2, date=dt.date(2026, 11, 17), starts_at=dt.time(16, 50), ends_at=dt.time(17, 30)
    )
    EnrollmentFactory(section=late, student=setup.child)
    freeze_clock(monkeypatch, nov(9, 16))  # the second lesson of 篮球一班 has just started
    submit(world, setup, section=setup.section_b)
    freeze_clock(monkeypatch, nov(10, 17))
    submit(world, setup)  # 少儿创意美术
    items = {item.section.name: item for item in selectors.evaluables(student=setup.child)}
    assert items["少儿创意美术"].state == "editable"
    assert items["少儿创意美术"].state_label == "已评价（可修改至 2026-11-17 17:00）"
    assert items["篮球一班"].state_label == "已评价（可修改至 2026-11-16 16:00）"
    assert items["书法"].state == "too_early"
    assert items["书法"].state_label == "第 2 次课后可评价"
    assert items["书法"].detail == "第 2 次课后即可评价（11月17日 16:50 开课后）"
    freeze_clock(monkeypatch, nov(17, 17))
    items = {item.section.name: item for item in selectors.evaluables(student=setup.child)}
    assert items["少儿创意美术"].state == "done" and items["少儿创意美术"].state_label == "已评价"
    assert items["篮球一班"].state == "done"
    assert items["书法"].state == "open" and items["书法"].state_label == "可评价"
    assert items["书法"].may_submit and not items["少儿创意美术"].may_submit
