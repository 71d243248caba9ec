"""API of classroom moments (/api/v1/feedback/…): posting (multipart with posters), lists and details scoped by role,
review (approve, reject with reason, 409 on a second decision), deletion, media, the families' feed — status codes and
the shape of the answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from afterschool.attendance.tests.factories import freeze, make_day
from afterschool.core.tests.media_samples import sample_upload
from afterschool.feedback.models import Moment
from afterschool.feedback.tests.factories import MomentFactory, MomentMediaFactory, picture_upload, video_upload
from afterschool.notifications.models import Notification

API = "/api/v1/feedback"


@pytest.fixture
def day(world: Any, monkeypatch: Any) -> Any:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    d = make_day(world)
    d.teacher.display_name = "王老师"
    d.teacher.save(update_fields=["display_name"])
    return d


@pytest.fixture
def clients(day: Any, login: Any) -> Any:
    users = day.world.users
    return {key: login(users[key]) for key in ("parent", "teacher_a", "school_a", "school_b", "bureau_a", "student")}


def _moment(day: Any, status: str = "approved", **kw: Any) -> Moment:
    return MomentFactory(lesson=kw.pop("lesson", day.today), author=day.teacher, status=status, **kw)


def _json_post(client: Any, url: str, body: Any = None) -> Any:
    return client.post(url, body if body is not None else "", content_type="application/json")


def test_teacher_posts_multipart_with_a_poster_and_gets_the_moment(day: Any, clients: Any) -> None:
    body = {
        "text": "今天练习了剪纸", "files": [picture_upload("a.png", (800, 600)), video_upload()],
        "poster_1": picture_upload("poster.png", (1280, 720)),
    }  # fmt: skip
    response = clients["teacher_a"].post(f"{API}/lessons/{day.today.pk}/moments", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "pending" and data["status_label"] == "待审核" and data["text"] == "今天练习了剪纸"
    assert data["section_id"] == day.section.pk and data["lesson_label"] == "11月10日 周二 15:40–16:40"
    assert data["teacher_name"] == "王老师" and data["can_delete"] is True and data["can_review"] is False
    photo, video = data["media"]
    assert (photo["kind"], photo["width"], photo["height"], photo["has_preview"]) == ("image", 800, 600, True)
    assert (video["kind"], video["width"], video["height"], video["has_preview"]) == ("video", 1280, 720, True)
    assert video["url"] == f"{API}/moments/{data['id']}/media/{video['id']}"
    assert video["preview_url"] == video["url"] + "?preview=true"
    assert Notification.objects.filter(recipient=day.world.users["school_a"], kind="moment").count() == 1


def test_posting_refusals_are_json_errors(day: Any, clients: Any) -> None:
    url = f"{API}/lessons/{day.today.pk}/moments"
    fake = clients["teacher_a"].post(url, {"text": "好", "files": [sample_upload("text", name="fake.png")]})
    assert fake.status_code == 422 and fake.json()["code"] == "file_refused"
    assert fake.json()["detail"]["files"][0].startswith("第 1 个文件（fake.png）")
    ten = clients["teacher_a"].post(
        url, {"text": "好", "files": [picture_upload(f"{i}.png", (20, 20)) for i in range(10)]}
    )
    assert ten.status_code == 422 and ten.json()["code"] == "too_many_files"
    empty = clients["teacher_a"].post(url, {"text": "  "})
    assert empty.status_code == 422 and empty.json()["code"] == "text_required"
    future = clients["teacher_a"].post(f"{API}/lessons/{day.future.pk}/moments", {"text": "好"})
    assert future.status_code == 422 and future.json()["code"] == "lesson_not_started"
    assert clients["teacher_a"].post(f"{API}/lessons/{day.other_lesson.pk}/moments", {"text": "好"}).status_code == 404
    assert clients["school_a"].post(url, {"text": "好"}).status_code == 404
    assert not Moment.objects.exists()


def test_list_is_scoped_by_role_and_filters(day: Any, clients: Any) -> None:
    approved = _moment(day)
    pending = _moment(day, status="pending")
    school = clients["school_a"].get(f"{API}/moments").json()
    assert {x["id"] for x in school["items"]} == {approved.pk, pending.pk} and school["count"] == 2
    assert {"items", "count", "page", "page_size", "num_pages"} <= set(school)
    only_pending = clients["school_a"].get(f"{API}/moments?status=pending").json()
    assert [x["id"] for x in only_pending["items"]] == [pending.pk] and only_pending["items"][0]["can_review"] is True
    for key in ("parent", "bureau_a"):
        assert [x["id"] for x in clients[key].get(f"{API}/moments").json()["items"]] == [approved.pk], key
    assert clients["school_b"].get(f"{API}/moments").json()["count"] == 0
    by_date = clients["school_a"].get(f"{API}/moments?date=2026-11-03").json()
    assert by_date["count"] == 0
    assert clients["school_a"].get(f"{API}/moments?status=nonsense").status_code == 422


def test_detail_of_a_pending_moment_is_404_for_families_and_other_schools(day: Any, clients: Any) -> None:
    pending = _moment(day, status="pending")
    assert clients["school_a"].get(f"{API}/moments/{pending.pk}").status_code == 200
    for key in ("parent", "bureau_a", "school_b"):
        response = clients[key].get(f"{API}/moments/{pending.pk}")
        assert response.status_code == 404 and response.json()["code"] == "not_found", key
    assert clients["school_a"].get(f"{API}/moments/99999999999999999999").status_code in (404, 422)


def test_approve_and_reject_with_a_second_decision_409(day: Any, clients: Any) -> None:
    moment = _moment(day, status="pending")
    approved = _json_post(clients["school_a"], f"{API}/moments/{moment.pk}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["reviewed_by"]
    again = _json_post(clients["school_a"], f"{API}/moments/{moment.pk}/reject", {"reason": "改主意"})
    assert again.status_code == 409 and again.json()["code"] == "moment_decided"
    other = _moment(day, status="pending")
    no_reason = _json_post(clients["school_a"], f"{API}/moments/{other.pk}/reject", {"reason": " "})
    assert no_reason.status_code == 422
    rejected = _json_post(clients["school_a"], f"{API}/moments/{other.pk}/reject", {"reason": "画面模糊"})
    assert rejected.status_code == 200 and rejected.json()["reject_reason"] == "画面模糊"
    assert _json_post(clients["teacher_a"], f"{API}/moments/{other.pk}/approve").status_code == 403
    assert _json_post(clients["school_b"], f"{API}/moments/{other.pk}/approve").status_code == 404


def test_delete_own_pending_moment(day: Any, clients: Any) -> None:
    pending, approved = _moment(day, status="pending"), _moment(day)
    assert clients["school_a"].delete(f"{API}/moments/{pending.pk}").status_code == 403
    assert clients["teacher_a"].delete(f"{API}/moments/{approved.pk}").status_code == 409
    assert clients["teacher_a"].delete(f"{API}/moments/{pending.pk}").status_code == 204
    assert not Moment.objects.filter(pk=pending.pk).exists()
    assert clients["parent"].delete(f"{API}/moments/{approved.pk}").status_code == 403


def test_media_download_follows_the_moments_rule(day: Any, clients: Any) -> None:
    approved = _moment(day)
    media = MomentMediaFactory(moment=approved)
    url = f"{API}/moments/{approved.pk}/media/{media.pk}"
    response = clients["parent"].get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert clients["bureau_a"].get(url).status_code == 200
    assert clients["school_b"].get(url).status_code == 404
    pending = _moment(day, status="pending")
    hidden = MomentMediaFactory(moment=pending)
    assert clients["parent"].get(f"{API}/moments/{pending.pk}/media/{hidden.pk}").status_code == 404
    assert clients["parent"].get(f"{API}/moments/{approved.pk}/media/{hidden.pk}").status_code == 404


def test_feed_for_families_only(day: Any, clients: Any) -> None:
    approved = _moment(day)
    _moment(day, status="pending")
    _moment(day, lesson=day.other_lesson)
    feed = clients["parent"].get(f"{API}/feed").json()
    assert [x["id"] for x in feed["items"]] == [approved.pk]
    assert clients["parent"].get(f"{API}/feed?student_id={day.child.pk}").json()["count"] == 1
    assert clients["parent"].get(f"{API}/feed?student_id={day.students[1].pk}").status_code == 404
    assert clients["school_a"].get(f"{API}/feed").status_code == 403
    assert clients["student"].get(f"{API}/feed").json()["count"] == 0  # its login is not linked to a student here
