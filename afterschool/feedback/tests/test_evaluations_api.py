"""API of course evaluations (/api/v1/feedback/evaluations…): available sections and their states, create and edit
(201/200, 409 too early or after the window, 422 scores outside 1–5, 404 for another family's child or a section the
child is not in), the scoped list (names for the family and the school only) and the statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.feedback.models import Evaluation
from afterschool.feedback.tests.factories import EvaluationSetup, evaluate, freeze_clock, make_evaluation_setup

pytestmark = pytest.mark.django_db

API = "/api/v1/feedback/evaluations"


@pytest.fixture
def setup(world: Any, monkeypatch: Any) -> EvaluationSetup:
    freeze_clock(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    return make_evaluation_setup(world)


@pytest.fixture
def clients(world: Any, login: Any, setup: EvaluationSetup) -> dict[str, Any]:
    return {key: login(user) for key, user in world.users.items()}


def body(s: EvaluationSetup, **changes: Any) -> dict[str, Any]:
    return {
        "student_id": s.child.pk, "section_id": s.a.pk, "content_score": 5, "teacher_score": 4,
        "resources_score": 3, "management_score": 5, "comment": "很好", **changes,
    }  # fmt: skip


def post(client: Any, data: dict[str, Any]) -> Any:
    return client.post(API, data, content_type="application/json")


def test_given_a_parent_when_asking_what_may_be_evaluated_then_each_section_with_its_state(
    setup: EvaluationSetup, clients: dict[str, Any]
) -> None:
    evaluate(setup.section_b, setup.child, (4, 3, 5, 1))
    response = clients["parent"].get(f"{API}/available", {"student_id": setup.child.pk})
    assert response.status_code == 200
    items = {item["section_name"]: item for item in response.json()}
    art, ball = items["少儿创意美术"], items["篮球一班"]
    assert (art["state"], art["state_label"], art["lessons_started"], art["evaluation"]) == ("open", "可评价", 2, None)
    assert art["opens_at"] == "2026-11-10T15:40:00"
    assert art["teachers"] == ["王老师"] and art["term"] == "2026–2027 学年第一学期"
    assert ball["state"] == "editable"
    assert ball["evaluation"]["teacher_score"] == 3 and ball["evaluation"]["student_name"] == "学生1"
    assert ball["evaluation"]["average"] == 3.3


def test_given_another_familys_child_or_staff_when_asking_available_then_404_or_403(
    setup: EvaluationSetup, clients: dict[str, Any]
) -> None:
    other = clients["parent"].get(f"{API}/available", {"student_id": setup.day.students[1].pk})
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert clients["teacher_a"].get(f"{API}/available", {"student_id": setup.child.pk}).status_code == 403
    assert clients["parent"].get(f"{API}/available", {"student_id": 0}).status_code == 422


def test_given_a_parent_when_posting_twice_then_201_then_200_editing_the_same_row(
    setup: EvaluationSetup, clients: dict[str, Any]
) -> None:
    created = post(clients["parent"], body(setup))
    assert created.status_code == 201
    data = created.json()
    assert (data["content_score"], data["comment"], data["student_name"], data["average"]) == (5, "很好", "学生1", 4.3)
    assert data["editable_until"] == "2026-11-17T09:00:00Z"  # 17:00 in Beijing
    edited = post(clients["parent"], body(setup, content_score=1, comment=""))
    assert edited.status_code == 200
    assert edited.json()["id"] == data["id"] and edited.json()["content_score"] == 1
    assert Evaluation.objects.count() == 1


@pytest.mark.parametrize("field, value", [("content_score", 0), ("teacher_score", 6), ("management_score", "x")])
def test_given_a_score_outside_1_to_5_when_posting_then_422(
    setup: EvaluationSetup, clients: dict[str, Any], field: str, value: Any
) -> None:
    response = post(clients["parent"], body(setup, **{field: value}))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"][0]["loc"][-1] == field
    assert Evaluation.objects.count() == 0


def test_given_a_long_comment_or_nul_when_posting_then_422(setup: EvaluationSetup, clients: dict[str, Any]) -> None:
    assert post(clients["parent"], body(setup, comment="好" * 501)).status_code == 422
    assert post(clients["parent"], body(setup, comment="a\x00b")).status_code == 422


def test_given_the_second_lesson_not_started_when_posting_then_409_saying_when(
    setup: EvaluationSetup, clients: dict[str, Any], monkeypatch: Any
) -> None:
    freeze_clock(monkeypatch, dt.datetime(2026, 11, 10, 15, 0))
    response = post(clients["parent"], body(setup))
    assert response.status_code == 409
    assert response.json()["code"] == "too_early"
    assert response.json()["message"] == "第 2 次课后即可评价（11月10日 15:40 开课后）"
    assert response.json()["detail"] == {"opens_at": "2026-11-10T15:40:00"}


def test_given_an_evaluation_older_than_7_days_when_posting_then_409(
    setup: EvaluationSetup, clients: dict[str, Any]
) -> None:
    old = evaluate(setup.a, setup.child, (5, 5, 5, 5))
    Evaluation.objects.filter(pk=old.pk).update(created_at=old.created_at - dt.timedelta(days=7, seconds=1))
    response = post(clients["parent"], body(setup, content_score=1))
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["message"]) == (
        "edit_window_closed",
        "评价已提交超过 7 天，不能再修改",
    )


def test_given_another_familys_child_or_a_section_the_child_is_not_in_when_posting_then_404(
    setup: EvaluationSetup, clients: dict[str, Any]
) -> None:
    assert post(clients["parent"], body(setup, student_id=setup.day.students[1].pk)).status_code == 404
    assert post(clients["parent"], body(setup, section_id=setup.section_c.pk)).status_code == 404
    assert post(clients["parent"], body(setup, section_id=2**61)).status_code == 404
    assert post(clients["school_a"], body(setup)).status_code == 403
    assert Evaluation.objects.count() == 0


@pytest.fixture
def rated(setup: EvaluationSetup) -> EvaluationSetup:
    evaluate(setup.a, setup.day.students[0], (5, 5, 4, 4), "孩子很喜欢")
    evaluate(setup.a, setup.day.students[1], (3, 4, 2, 5), "希望多些动手")
    evaluate(setup.section_b, setup.day.students[0], (4, 3, 5, 1))
    evaluate(setup.section_c, setup.student_c, (1, 1, 1, 1), "朝阳的评语")
    return setup


def test_given_each_role_when_listing_then_its_scope_with_names_only_for_the_family_and_the_school(
    rated: EvaluationSetup, clients: dict[str, Any]
) -> None:
    def listed(key: str, **params: Any) -> list[tuple[str, Any]]:
        response = clients[key].get(API, params)
        assert response.status_code == 200, key
        return sorted((x["section_name"], x["student_name"]) for x in response.json()["items"])

    assert listed("parent") == [("少儿创意美术", "学生1"), ("篮球一班", "学生1")]
    assert listed("teacher_a") == [("少儿创意美术", None), ("少儿创意美术", None), ("篮球一班", None)]
    assert listed("orgteacher_a") == [("篮球一班", None)]
    assert listed("school_a") == [("少儿创意美术", "学生1"), ("少儿创意美术", "学生2"), ("篮球一班", "学生1")]
    assert listed("bureau_a") == [("少儿创意美术", None), ("少儿创意美术", None), ("篮球一班", None)]
    assert listed("bureau_b") == [("朝阳机器人", None)]
    assert listed("school_a", section=rated.a.pk, with_comment=True, q="动手") == [("少儿创意美术", "学生2")]
    item = clients["teacher_a"].get(API).json()["items"][0]
    assert item["author_name"] is None and item["student_id"] is None
    assert clients["org_a"].get(API).status_code == 403


def test_given_the_school_and_the_bureau_when_reading_stats_then_rows_as_computed_by_hand(
    rated: EvaluationSetup, clients: dict[str, Any]
) -> None:
    response = clients["school_a"].get(f"{API}/stats", {"group_by": "section"})
    assert response.status_code == 200
    rows = {r["label"]: r for r in response.json()["items"]}
    art = rows["少儿创意美术"]
    assert (art["count"], art["content_score"], art["teacher_score"], art["resources_score"]) == (2, 4.0, 4.5, 3.0)
    assert (art["management_score"], art["overall"], art["satisfaction"]) == (4.5, 4.0, 75.0)
    assert (art["placed"], art["response_rate"]) == (3, 66.7)
    school = clients["bureau_a"].get(f"{API}/stats", {"group_by": "school"}).json()["items"]
    assert [(r["label"], r["count"], r["overall"], r["satisfaction"]) for r in school] == [
        ("海淀实验小学", 3, 3.8, 66.7)
    ]
    orgs = clients["bureau_a"].get(f"{API}/stats", {"group_by": "organization"}).json()["items"]
    assert [(r["key"], r["label"]) for r in orgs] == [(rated.section_b.course.owner_organization_id, "海淀活动中心"),
                                                      (None, "学校自有课程")]  # fmt: skip
    assert clients["school_a"].get(f"{API}/stats", {"group_by": "school"}).status_code == 422
    assert clients["school_a"].get(f"{API}/stats", {"group_by": "class"}).status_code == 422
    assert clients["school_a"].get(f"{API}/stats", {"term": "2026"}).status_code == 422
    assert clients["teacher_a"].get(f"{API}/stats").status_code == 403
    assert clients["bureau_b"].get(f"{API}/stats", {"school": rated.a.school_id}).json()["count"] == 0
