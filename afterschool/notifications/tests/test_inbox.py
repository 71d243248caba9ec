"""The notification centre: the page (newest first, unread highlighted, filters, search, paging, opening one marks
it read and follows its link within the site, 全部标为已读, delivery states) and the API
(/api/v1/notifications/inbox…): only one's own notifications, whatever the role; another's id is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from afterschool.accounts.models import AuditEvent
from afterschool.notifications.models import Notification, OutboxMessage
from afterschool.notifications.signals import unread_changed
from afterschool.notifications.tests.factories import DeliveryFactory, NotificationFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications/inbox"


def _note(user: Any, title: str, *, minutes_ago: int = 0, **fields: Any) -> Notification:
    note = NotificationFactory(recipient=user, title=title, **fields)
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    note.refresh_from_db()
    return note


@pytest.fixture
def notes(world: Any) -> dict[str, Notification]:
    parent, teacher = world.users["parent"], world.users["teacher_a"]
    return {
        "old": _note(parent, "上周美术课调课", minutes_ago=60, kind="lesson_changed", read_at=timezone.now()),
        "leave": _note(parent, "请假已批准：学生1", minutes_ago=5, kind="leave", body="周二的请假已批准",
                       link="/attendance/my-leaves/"),
        "new": _note(parent, "缴费成功", minutes_ago=1, kind="payment", body="少儿创意美术 ¥300"),
        "teacher": _note(teacher, "请假申请：学生2", kind="leave"),
    }  # fmt: skip


@pytest.fixture
def heard() -> Any:
    calls: list[list[int]] = []

    def receiver(sender: Any, user_ids: list[int], **kwargs: Any) -> None:
        calls.append(list(user_ids))

    unread_changed.connect(receiver, dispatch_uid="test_inbox_heard")
    yield calls
    unread_changed.disconnect(dispatch_uid="test_inbox_heard")


# --- the page --------------------------------------------------------------------------------------------------


def test_the_centre_lists_ones_own_newest_first_with_unread_highlighted(world: Any, notes: Any, login: Any) -> None:
    DeliveryFactory(notification=notes["leave"], channel="sms", status="sent")
    DeliveryFactory(notification=notes["leave"], channel="wechat", status="failed")
    html = login(world.users["parent"]).get(reverse("notifications:list")).content.decode()
    assert html.index("缴费成功") < html.index("请假已批准") < html.index("上周美术课调课")
    assert "请假申请：学生2" not in html
    assert html.count('class="notice-item unread"') == 2 and "2 条未读" in html
    assert reverse("notifications:open", args=[notes["leave"].pk]) in html
    assert "短信已发送" in html and "微信发送失败（将重试）" in html
    assert "全部标为已读" in html and reverse("notifications:preferences") in html


@pytest.mark.parametrize("key", ["school_a", "teacher_a", "bureau_a", "org_a", "student", "system"])
def test_every_role_sees_only_its_own_centre(world: Any, notes: Any, login: Any, key: str) -> None:
    _note(world.users[key], f"给{key}的通知")
    response = login(world.users[key]).get(reverse("notifications:list"))
    html = response.content.decode()
    assert response.status_code == 200 and f"给{key}的通知" in html
    assert "缴费成功" not in html and ("请假申请：学生2" in html) == (key == "teacher_a")


def test_filters_search_and_paging(world: Any, notes: Any, login: Any) -> None:
    client = login(world.users["parent"])
    url = reverse("notifications:list")
    by_kind = client.get(url, {"kind": "leave"}).content.decode()
    assert "请假已批准" in by_kind and "缴费成功" not in by_kind
    unread = client.get(url, {"unread": "1"}).content.decode()
    assert "缴费成功" in unread and "上周美术课调课" not in unread
    found = client.get(url, {"q": "¥300"}).content.decode()
    assert "缴费成功" in found and "请假已批准" not in found
    assert "没有符合条件的通知" in client.get(url, {"q": "无此内容"}).content.decode()
    assert client.get(url, {"kind": "nonsense", "page": "x"}).status_code == 200  # bad input is ignored
    for i in range(25):
        _note(world.users["parent"], f"批量{i:02d}")
    second = client.get(url, {"page": 2}).content.decode()
    assert "第 2 / 2 页" in second and "上周美术课调课" in second


def test_opening_one_marks_it_read_and_goes_to_its_link(
    world: Any, notes: Any, login: Any, heard: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = login(world.users["parent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("notifications:open", args=[notes["leave"].pk]))
    assert response.status_code == 302 and response.url == "/attendance/my-leaves/"
    assert Notification.objects.get(pk=notes["leave"].pk).read_at is not None
    assert heard == [[world.users["parent"].pk]]
    again = client.post(reverse("notifications:open", args=[notes["leave"].pk]))
    assert again.status_code == 302 and heard == [[world.users["parent"].pk]]  # already read: nothing to tell


def test_opening_one_without_a_link_goes_back_to_the_list(world: Any, notes: Any, login: Any) -> None:
    response = login(world.users["parent"]).post(reverse("notifications:open", args=[notes["new"].pk]))
    assert response.status_code == 302 and response.url == reverse("notifications:list") + f"#n{notes['new'].pk}"


@pytest.mark.parametrize("link", ["https://evil.example/phish", "//evil.example/x", "javascript:alert(1)"])
def test_opening_never_follows_a_link_off_the_site(world: Any, login: Any, link: str) -> None:
    note = _note(world.users["parent"], "可疑链接", link=link)
    response = login(world.users["parent"]).get(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response.url == reverse("notifications:list") + f"#n{note.pk}"


def test_opening_anothers_notification_is_a_404_and_changes_nothing(world: Any, notes: Any, login: Any) -> None:
    for key in ("parent", "system", "school_a"):
        response = login(world.users[key]).get(reverse("notifications:open", args=[notes["teacher"].pk]))
        assert response.status_code == 404
    assert Notification.objects.get(pk=notes["teacher"].pk).read_at is None
    assert login(world.users["parent"]).get("/notifications/99999999999999999999/open/").status_code == 404


def test_mark_all_read_marks_only_ones_own_and_tells_the_live_push(
    world: Any, notes: Any, login: Any, heard: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = login(world.users["parent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:mark_read"), follow=True)
    assert "已将 2 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=world.users["parent"], read_at__isnull=True).exists()
    assert Notification.objects.get(pk=notes["teacher"].pk).read_at is None
    assert heard == [[world.users["parent"].pk]]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:mark_read"), follow=True)
    assert "没有未读通知" in response.content.decode() and heard == [[world.users["parent"].pk]]


def test_a_system_admin_marking_all_read_touches_only_its_own(world: Any, notes: Any, login: Any) -> None:
    mine = _note(world.users["system"], "系统通知")
    login(world.users["system"]).post(reverse("notifications:mark_read"))
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.filter(read_at__isnull=True).count() == 3  # parent's two, teacher's one


def test_the_centre_needs_a_login(client: Any) -> None:
    assert client.get(reverse("notifications:list")).status_code == 302
    assert client.get(reverse("notifications:open", args=[1])).status_code == 302


# --- the outbox (模拟短信/微信) ---------------------------------------------------------------------------------


def test_the_outbox_page_is_for_system_admins_with_filters_and_export(world: Any, login: Any) -> None:
    parent, teacher = world.users["parent"], world.users["teacher_a"]
    OutboxMessage.objects.create(channel="sms", recipient=parent, address="138****1234", body="【课后服务】短信一")
    OutboxMessage.objects.create(channel="wechat", recipient=teacher, address="openid:sim-1", body="微信一")
    client = login(world.users["system"])
    url = reverse("notifications:outbox")
    html = client.get(url).content.decode()
    assert "【课后服务】短信一" in html and "微信一" in html and "138****1234" in html
    only_sms = client.get(url, {"channel": "sms"}).content.decode()
    assert "短信一" in only_sms and "微信一" not in only_sms
    by_name = client.get(url, {"q": teacher.username}).content.decode()
    assert "微信一" in by_name and "短信一" not in by_name
    export = client.get(url, {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(event="export", detail__what="notification_outbox").count() == 1
    for key in ("parent", "school_a", "bureau_a", "teacher_a"):
        assert login(world.users[key]).get(url).status_code == 403


# --- the API ---------------------------------------------------------------------------------------------------


def test_api_lists_ones_own_with_filters_and_shape(world: Any, notes: Any, login: Any) -> None:
    DeliveryFactory(notification=notes["leave"], channel="sms", status="sent")
    client = login(world.users["parent"])
    body = client.get(API).json()
    assert body["count"] == 3 and [i["title"] for i in body["items"]] == [
        "缴费成功",
        "请假已批准：学生1",
        "上周美术课调课",
    ]
    leave = body["items"][1]
    assert leave["kind"] == "leave" and leave["kind_label"] == "请假" and leave["unread"] is True
    assert leave["link"] == "/attendance/my-leaves/" and leave["read_at"] is None
    assert leave["deliveries"] == [
        {"channel": "sms", "channel_label": "短信", "status": "sent", "status_label": "已发送", "attempts": 0,
         "sent_at": None, "next_attempt_at": None}
    ]  # fmt: skip
    assert [i["title"] for i in client.get(API, {"kind": "leave"}).json()["items"]] == ["请假已批准：学生1"]
    assert client.get(API, {"unread": "true"}).json()["count"] == 2
    assert client.get(API, {"q": "美术"}).json()["count"] == 2  # a title and a body
    assert client.get(API, {"q": "调课"}).json()["count"] == 1
    paged = client.get(API, {"page_size": 2, "page": 2}).json()
    assert paged["num_pages"] == 2 and len(paged["items"]) == 1
    assert client.get(API, {"kind": "fax"}).status_code == 422


def test_api_unread_count_and_mark_read(world: Any, notes: Any, login: Any) -> None:
    client = login(world.users["parent"])
    assert client.get(f"{API}/unread-count").json() == {"unread": 2}
    some = client.post(
        f"{API}/read", {"ids": [notes["leave"].pk, notes["teacher"].pk]}, content_type="application/json"
    )
    assert some.status_code == 200 and some.json() == {"marked": 1, "unread": 1}
    assert Notification.objects.get(pk=notes["teacher"].pk).read_at is None
    rest = client.post(f"{API}/read", {}, content_type="application/json")
    assert rest.json() == {"marked": 1, "unread": 0}
    assert client.post(f"{API}/read", {"ids": [0]}, content_type="application/json").status_code == 422
    assert client.post(f"{API}/read", "nope", content_type="application/json").status_code == 400


def test_api_detail_is_ones_own_and_anothers_is_a_404(world: Any, notes: Any, login: Any) -> None:
    client = login(world.users["parent"])
    detail = client.get(f"{API}/{notes['new'].pk}")
    assert detail.status_code == 200 and detail.json()["title"] == "缴费成功"
    assert Notification.objects.get(pk=notes["new"].pk).read_at is None  # reading the API does not mark it
    for key in ("parent", "system", "school_a"):
        other = login(world.users[key]).get(f"{API}/{notes['teacher'].pk}")
        assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert client.get(f"{API}/{2**63}").status_code == 404


def test_api_needs_a_login(client: Any) -> None:
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/unread-count").status_code == 401
    assert client.post(f"{API}/read", {}, content_type="application/json").status_code == 401
