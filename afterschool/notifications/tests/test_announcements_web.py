"""学校公告 pages and API (/notifications/announcements/, /api/v1/notifications/announcements): the school admin's
compose → confirm (with the number of recipients) → send flow, Chinese form errors, who may open what (403 for
senders that are not school admins, 404 for an announcement one did not receive or is out of scope), the bureau's
read-only view, filters and export, and the API's status codes and shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.models import AuditEvent
from afterschool.attendance.tests.factories import freeze
from afterschool.notifications.models import Announcement, Notification
from afterschool.notifications.services import announcements as services

from .test_announcements import Example, make_example

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications/announcements"
LIST = reverse("notifications:announcements")
NEW = reverse("notifications:announcement_create")


@pytest.fixture
def ex(world: Any, monkeypatch: Any) -> Example:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 12, 0))
    return make_example(world)


@pytest.fixture
def clients(world: Any, login: Any) -> dict[str, Any]:
    return {key: login(user) for key, user in world.users.items()}


def _detail(pk: int) -> str:
    return reverse("notifications:announcement_detail", args=[pk])


def _send(ex: Example, **data: Any) -> Announcement:
    return services.announcement_send(actor=ex.world.actor("school_a"), data={"title": "通知", "body": "内容", **data})


# --- pages ------------------------------------------------------------------------------------------------------


def test_school_admin_composes_confirms_with_the_count_and_sends(ex: Example, clients: dict[str, Any]) -> None:
    client = clients["school_a"]
    page = client.get(NEW)
    assert page.status_code == 200
    html = page.content.decode()
    assert "一年级1班" in html and "少儿创意美术" in html and "朝阳" not in html
    assert 'data-audience-field="grade"' in html and "js/announcements.js" in html
    form = {
        "audience": "class",
        "school_class": ex.g1c1.pk,
        "title": "周五调课",
        "body": "本周五课后服务改在下午四点。",
    }
    confirm = client.post(NEW, form)
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert 'data-testid="recipient-count">1<' in text and "一年级1班家长" in text and "确认发布" in text
    assert not Announcement.objects.exists()  # nothing sent before the confirmation
    again = client.post(NEW, {**form, "edit": "1"})
    assert again.status_code == 200 and "下一步" in again.content.decode()
    assert not Announcement.objects.exists()
    sent = client.post(NEW, {**form, "confirm": "1"})
    announcement = Announcement.objects.get()
    assert sent.status_code == 302 and sent["Location"] == _detail(announcement.pk)
    assert announcement.recipient_count == 1
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["p_twice"]
    detail = client.get(_detail(announcement.pk))
    assert detail.status_code == 200 and "本周五课后服务改在下午四点。" in detail.content.decode()


def test_form_shows_chinese_errors(ex: Example, clients: dict[str, Any]) -> None:
    client = clients["school_a"]
    response = client.post(NEW, {"audience": "grade", "title": "", "body": "内容"})
    html = response.content.decode()
    assert response.status_code == 200 and "请填写标题" in html and "请选择年级" in html
    foreign = client.post(NEW, {"audience": "grade", "grade": ex.other_grade.pk, "title": "t", "body": "b"})
    assert "请选择本校的选项" in foreign.content.decode()
    empty = client.post(NEW, {"audience": "class", "school_class": ex.empty_class.pk, "title": "t", "body": "b"})
    assert "没有可通知的对象" in empty.content.decode()
    refused = client.post(
        NEW, {"audience": "class", "school_class": ex.empty_class.pk, "title": "t", "body": "b", "confirm": "1"}
    )
    assert refused.status_code == 200 and "没有可通知的对象" in refused.content.decode()
    assert not Announcement.objects.exists()


@pytest.mark.parametrize("key", ["teacher_a", "parent", "bureau_a", "orgteacher_a"])
def test_others_may_not_open_the_compose_page(ex: Example, clients: dict[str, Any], key: str) -> None:
    assert clients[key].get(NEW).status_code == 403
    response = clients[key].post(NEW, {"audience": "all_parents", "title": "t", "body": "b", "confirm": "1"})
    assert response.status_code == 403
    assert not Announcement.objects.exists()


def test_school_admin_cannot_compose_for_another_school(ex: Example, clients: dict[str, Any]) -> None:
    assert clients["school_a"].get(f"{NEW}?school={ex.world.school_b.pk}").status_code == 404


def test_system_admin_chooses_the_school_first(ex: Example, clients: dict[str, Any]) -> None:
    client = clients["system"]
    choose = client.get(NEW)
    assert choose.status_code == 200 and "朝阳实验小学" in choose.content.decode()
    url = f"{NEW}?school={ex.world.school_b.pk}"
    page = client.get(url)
    assert page.status_code == 200 and "海淀" not in page.content.decode().split("<main", 1)[1].split("</form>")[0]
    sent = client.post(url, {"audience": "all_parents", "title": "通知", "body": "内容", "confirm": "1"})
    assert sent.status_code == 302
    assert Announcement.objects.get().school == ex.world.school_b


def test_recipients_open_it_and_others_get_404(ex: Example, clients: dict[str, Any]) -> None:
    announcement = _send(ex, audience="class", school_class=ex.g1c2.pk)  # the world's parent
    url = _detail(announcement.pk)
    page = clients["parent"].get(url)
    assert page.status_code == 200 and "一年级2班家长" in page.content.decode()
    for key in ("teacher_a", "orgteacher_a", "student", "school_b", "school_a2", "bureau_b"):
        assert clients[key].get(url).status_code == 404, key
    mine = clients["parent"].get(LIST)
    assert mine.status_code == 200 and url in mine.content.decode() and "发布公告" not in mine.content.decode()


def test_teachers_read_the_teachers_announcement(ex: Example, clients: dict[str, Any]) -> None:
    announcement = _send(ex, audience="teachers", title="教师例会")
    for key in ("teacher_a", "orgteacher_a"):
        assert clients[key].get(_detail(announcement.pk)).status_code == 200
    assert clients["parent"].get(_detail(announcement.pk)).status_code == 404


def test_bureau_reads_its_regions_announcements_read_only(ex: Example, clients: dict[str, Any]) -> None:
    announcement = _send(ex, audience="all_parents", title="放假通知")
    page = clients["bureau_a"].get(LIST)
    html = page.content.decode()
    assert page.status_code == 200 and "放假通知" in html and "海淀实验小学" in html
    assert NEW not in html  # no 发布公告 button
    assert clients["bureau_a"].get(_detail(announcement.pk)).status_code == 200
    assert "放假通知" not in clients["bureau_b"].get(LIST).content.decode()
    assert clients["bureau_b"].get(_detail(announcement.pk)).status_code == 404


def test_list_filters_and_export(ex: Example, clients: dict[str, Any]) -> None:
    _send(ex, audience="teachers", title="教师例会")
    _send(ex, audience="all_parents", title="放假通知")
    client = clients["school_a"]
    html = client.get(LIST, {"audience": "teachers"}).content.decode()
    assert "教师例会" in html and "放假通知" not in html
    html = client.get(LIST, {"q": "放假"}).content.decode()
    assert "放假通知" in html and "教师例会" not in html
    bad = client.get(LIST, {"date_from": "2026-13-01"})
    assert bad.status_code == 200 and "日期格式不正确" in bad.content.decode()
    export = client.get(LIST, {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(event=AuditEventType.EXPORT, detail__what="announcements").exists()


# --- API --------------------------------------------------------------------------------------------------------


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def test_api_send_returns_201_with_the_count(ex: Example, clients: dict[str, Any]) -> None:
    body = {"audience": "grade", "grade": ex.grade1.pk, "title": "开学通知", "body": "九月一日开学。"}
    preview = _post(clients["school_a"], f"{API}/preview", {"audience": "grade", "grade": ex.grade1.pk})
    assert preview.status_code == 200
    assert preview.json() == {"recipient_count": 2, "audience": "grade", "audience_label": "一年级家长"}
    response = _post(clients["school_a"], API, body)
    assert response.status_code == 201
    data = response.json()
    assert data["recipient_count"] == 2 and data["audience_label"] == "一年级家长" and data["grade_id"] == ex.grade1.pk
    assert data["school_name"] == "海淀实验小学" and data["title"] == "开学通知"
    assert Notification.objects.filter(kind="announcement").count() == 2
    detail = clients["parent"].get(f"{API}/{data['id']}")
    assert detail.status_code == 200 and detail.json()["body"] == "九月一日开学。"
    listed = clients["school_a"].get(API).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == data["id"]


def test_api_refusals(ex: Example, clients: dict[str, Any]) -> None:
    body = {"audience": "all_parents", "title": "通知", "body": "内容"}
    for key in ("teacher_a", "parent", "bureau_a"):
        assert _post(clients[key], API, body).status_code == 403, key
        assert _post(clients[key], f"{API}/preview", {"audience": "all_parents"}).status_code == 403, key
    foreign = _post(clients["school_a"], API, {**body, "audience": "grade", "grade": ex.other_grade.pk})
    assert foreign.status_code == 422 and foreign.json()["detail"] == {"grade": ["请选择本校的年级"]}
    empty = _post(clients["school_a"], API, {**body, "audience": "class", "school_class": ex.empty_class.pk})
    assert empty.status_code == 422 and empty.json()["code"] == "no_recipients"
    assert empty.json()["message"] == "没有可通知的对象"
    long_title = _post(clients["school_a"], API, {**body, "title": "标" * 61})
    assert long_title.status_code == 422
    blank = _post(clients["school_a"], API, {**body, "title": "  "})
    assert blank.status_code == 422 and blank.json()["detail"] == {"title": ["请填写标题"]}
    bad_audience = _post(clients["school_a"], API, {**body, "audience": "everyone"})
    assert bad_audience.status_code == 422
    other_school = _post(clients["school_a"], API, {**body, "school": ex.world.school_b.pk})
    assert other_school.status_code == 404
    assert not Announcement.objects.exists()


def test_api_reads_are_scoped(ex: Example, clients: dict[str, Any]) -> None:
    announcement = _send(ex, audience="class", school_class=ex.g1c2.pk)
    url = f"{API}/{announcement.pk}"
    assert clients["bureau_a"].get(url).status_code == 200
    for key in ("bureau_b", "school_b", "teacher_a", "student"):
        response = clients[key].get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found", key
        assert clients[key].get(API).json()["count"] == 0, key
    assert clients["parent"].get(API).json()["count"] == 1
    assert clients["school_a"].get(f"{API}/{2**70}").status_code in (404, 422)
    assert clients["school_a"].get(API, {"date_from": "2020-01-01", "audience": "class"}).json()["count"] == 1
