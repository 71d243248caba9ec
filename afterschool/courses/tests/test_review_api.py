"""/api/v1/courses/ — course review: submit, list, detail with history, approve, reject, recall, withdraw,
schedulability; refusals and cross-tenant 404s."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from afterschool.courses.models import CourseOffer
from afterschool.courses.tests.factories_review import fix_partnerships, org_course, school_course
from afterschool.tenancy.tests.factories import PartnershipFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/courses"


@pytest.fixture
def w(world: Any) -> Any:
    fix_partnerships(world)
    return world


def _post(client: Any, path: str, data: Any = None) -> Any:
    body = json.dumps(data) if data is not None else ""
    return client.post(f"{API}{path}", data=body, content_type="application/json")


def _submitted(w: Any, login: Any, *schools: Any) -> tuple[Any, Any]:
    course = org_course(w)
    ids = [s.pk for s in schools] or [w.school_a.pk]
    response = _post(login(w.users["org_a"]), f"/courses/{course.pk}/submit", {"school_ids": ids})
    assert response.status_code == 200, response.content
    return course, CourseOffer.objects.get(course=course, school_id=ids[0])


def test_org_submits_through_the_api_and_the_school_approves(w: Any, login: Any) -> None:
    course, offer = _submitted(w, login)
    school = login(w.users["school_a"])
    listed = school.get(f"{API}/offers").json()
    assert listed["count"] == 1 and listed["items"][0]["course_name"] == course.name
    assert listed["items"][0]["status"] == "submitted" and listed["items"][0]["owner_name"] == "海淀活动中心"
    response = _post(school, f"/offers/{offer.pk}/approve", {"comment": "同意"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved" and body["comment"] == "同意"
    assert [h["action"] for h in body["history"]] == ["approve", "submit"]
    assert body["history"][0]["actor_role"] == "school_admin"
    again = _post(school, f"/offers/{offer.pk}/approve", {})
    assert again.status_code == 409 and "已被他人处理" in again.json()["message"]


def test_approve_without_a_body_is_accepted(w: Any, login: Any) -> None:
    _, offer = _submitted(w, login)
    client = login(w.users["school_a"])
    response = client.post(f"{API}/offers/{offer.pk}/approve", data="", content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_reject_needs_a_comment(w: Any, login: Any) -> None:
    _, offer = _submitted(w, login)
    school = login(w.users["school_a"])
    assert _post(school, f"/offers/{offer.pk}/reject", {}).status_code == 422
    blank = _post(school, f"/offers/{offer.pk}/reject", {"comment": "  "})
    assert blank.status_code == 422 and blank.json()["detail"] == {"comment": ["请填写驳回意见"]}
    assert _post(school, f"/offers/{offer.pk}/reject", {"comment": "x" * 501}).status_code == 422
    response = _post(school, f"/offers/{offer.pk}/reject", {"comment": "与本校课程重复"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_recall_and_resubmit(w: Any, login: Any) -> None:
    course, offer = _submitted(w, login)
    org = login(w.users["org_a"])
    assert _post(org, f"/offers/{offer.pk}/recall").json()["status"] == "recalled"
    assert _post(org, f"/offers/{offer.pk}/recall").status_code == 409
    resubmitted = _post(org, f"/courses/{course.pk}/submit", {"school_ids": [w.school_a.pk]}).json()
    assert [o["id"] for o in resubmitted] == [offer.pk] and resubmitted[0]["status"] == "submitted"
    detail = org.get(f"{API}/offers/{offer.pk}").json()
    assert [h["action"] for h in detail["history"]] == ["submit", "recall", "submit"]


def test_submit_refusals(w: Any, login: Any) -> None:
    org = login(w.users["org_a"])
    course = org_course(w)
    no_partner = _post(org, f"/courses/{course.pk}/submit", {"school_ids": [w.school_a2.pk]})
    assert no_partner.status_code == 422 and "海淀二小" in no_partner.json()["detail"]["school_ids"][0]
    bare = org_course(w, chapters=0)
    no_chapter = _post(org, f"/courses/{bare.pk}/submit", {"school_ids": [w.school_a.pk]})
    assert no_chapter.status_code == 422 and no_chapter.json()["detail"] == {
        "course": ["课程至少要有一个章节才能提交审核"]
    }
    assert _post(org, f"/courses/{course.pk}/submit", {"school_ids": [0]}).status_code == 422
    assert _post(org, f"/courses/{course.pk}/submit", {"school_ids": [2**63]}).status_code == 422
    assert _post(org, f"/courses/{course.pk}/submit", {"school_ids": "x"}).status_code == 422
    assert (
        _post(login(w.users["org_b"]), f"/courses/{course.pk}/submit", {"school_ids": [w.school_b.pk]}).status_code
        == 404
    )
    assert _post(login(w.users["teacher_a"]), f"/courses/{course.pk}/submit", {}).status_code == 404
    own = school_course(w)
    response = _post(login(w.users["school_a"]), f"/courses/{own.pk}/submit", {})
    assert response.status_code == 200 and response.json()[0]["school_id"] == w.school_a.pk


def test_cross_tenant_and_wrong_roles_get_404_or_403(w: Any, login: Any) -> None:
    _, offer = _submitted(w, login)
    for key in ("school_a2", "school_b", "bureau_b", "teacher_a", "parent", "org_b"):
        client = login(w.users[key])
        assert client.get(f"{API}/offers/{offer.pk}").status_code == 404, key
        assert _post(client, f"/offers/{offer.pk}/approve", {}).status_code == 404, key
        assert client.get(f"{API}/offers").json()["count"] == 0, key
    assert _post(login(w.users["org_a"]), f"/offers/{offer.pk}/approve", {}).status_code == 403
    assert _post(login(w.users["bureau_a"]), f"/offers/{offer.pk}/approve", {}).status_code == 200
    assert login(w.users["parent"]).get(f"{API}/offers/999999").status_code == 404


def test_offer_list_filters(w: Any, login: Any) -> None:
    PartnershipFactory(school=w.school_a2, organization=w.org_a, starts_on=dt.date(2020, 1, 1))
    course, offer = _submitted(w, login, w.school_a, w.school_a2)
    own = school_course(w, name="本校书法")
    _post(login(w.users["school_a"]), f"/courses/{own.pk}/submit", {})
    _post(login(w.users["school_a"]), f"/offers/{offer.pk}/approve", {})
    bureau = login(w.users["bureau_a"])

    def names(**params: Any) -> list[tuple[str, int]]:
        items = bureau.get(f"{API}/offers", params).json()["items"]
        return sorted((i["course_name"], i["school_id"]) for i in items)

    assert len(names()) == 3
    assert names(status="approved") == [(course.name, w.school_a.pk)]
    assert names(school=w.school_a2.pk) == [(course.name, w.school_a2.pk)]
    assert names(organization=w.org_a.pk) == sorted([(course.name, w.school_a.pk), (course.name, w.school_a2.pk)])
    assert names(q="书法") == [("本校书法", w.school_a.pk)]
    assert names(category="sports") == []
    assert bureau.get(f"{API}/offers", {"status": "nonsense"}).status_code == 422
    assert bureau.get(f"{API}/offers", {"page_size": 1}).json()["num_pages"] == 3


def test_bureau_withdraws_through_the_api(w: Any, login: Any) -> None:
    course, offer = _submitted(w, login)
    _post(login(w.users["school_a"]), f"/offers/{offer.pk}/approve", {})
    bureau = login(w.users["bureau_a"])
    assert _post(bureau, f"/courses/{course.pk}/withdraw", {}).status_code == 422
    assert _post(login(w.users["school_a"]), f"/courses/{course.pk}/withdraw", {"reason": "质量"}).status_code == 403
    assert _post(login(w.users["bureau_b"]), f"/courses/{course.pk}/withdraw", {"reason": "质量"}).status_code == 404
    wrong = _post(bureau, f"/courses/{course.pk}/withdraw", {"reason": "质量", "school_ids": [w.school_a2.pk]})
    assert wrong.status_code == 422
    response = _post(bureau, f"/courses/{course.pk}/withdraw", {"reason": "抽查不合格", "school_ids": [w.school_a.pk]})
    assert response.status_code == 200 and [o["status"] for o in response.json()] == ["withdrawn"]
    assert _post(bureau, f"/courses/{course.pk}/withdraw", {"reason": "再撤"}).status_code == 409


def test_schedulable_endpoint(w: Any, login: Any) -> None:
    course, offer = _submitted(w, login)
    school = login(w.users["school_a"])
    url = f"{API}/courses/{course.pk}/schedulable"
    before = school.get(url, {"school_id": w.school_a.pk, "on": "2026-09-07"}).json()
    assert before["schedulable"] is False and "尚待审核" in before["reason"]
    _post(school, f"/offers/{offer.pk}/approve", {})
    assert school.get(url, {"school_id": w.school_a.pk, "on": "2026-09-07"}).json() == {
        "schedulable": True,
        "reason": None,
    }
    w.org_a.status = "suspended"
    w.org_a.save()
    suspended = school.get(url, {"school_id": w.school_a.pk, "on": "2026-09-07"}).json()
    assert suspended["schedulable"] is False and suspended["reason"].startswith("机构已暂停")
    assert school.get(url, {"school_id": w.school_a.pk, "on": "2026-13-01"}).status_code == 422
    assert school.get(url, {"school_id": 0, "on": "2026-09-07"}).status_code == 422
    assert school.get(url, {"on": "2026-09-07"}).status_code == 422
    assert school.get(url, {"school_id": w.school_b.pk, "on": "2026-09-07"}).status_code == 404
    other = login(w.users["school_a2"])
    assert other.get(url, {"school_id": w.school_a2.pk, "on": "2026-09-07"}).status_code == 404


def test_api_needs_a_login(w: Any, client: Any) -> None:
    assert client.get(f"{API}/offers").status_code == 401
