"""Notification preferences (通知设置): kinds × channels (短信, 微信), in-app always on; saved whole in one POST or
PUT; unknown kinds and channels refused (form error, 422); everyone sets its own and only its own."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import ValidationFailed
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.models import Delivery, NotificationPreference
from afterschool.notifications.selectors.preferences import preferences_of
from afterschool.notifications.services.inbox import notify
from afterschool.notifications.services.preferences import preferences_save
from afterschool.notifications.tests.factories import NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications/preferences"


def _saved(user: Any) -> dict[str, list[str]]:
    return dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channels"))


# --- service ---------------------------------------------------------------------------------------------------


def test_save_replaces_ones_preferences_in_channel_order(world: Any) -> None:
    parent = world.users["parent"]
    NotificationPreferenceFactory(user=parent, kind="attendance", channels=["sms"])
    other = NotificationPreferenceFactory(user=world.users["teacher_a"], kind="leave", channels=["sms"])
    saved = preferences_save(actor=world.actor("parent"), choices={"leave": ["wechat", "sms", "sms"], "payment": []})
    assert saved["leave"] == ["sms", "wechat"] and saved["attendance"] == [] and len(saved) == len(NotificationKind)
    assert _saved(parent) == {"leave": ["sms", "wechat"]}
    assert NotificationPreference.objects.get(pk=other.pk).channels == ["sms"]
    audit = AuditEvent.objects.get(event="update", object_type="accounts.user", object_id=str(parent.pk))
    assert audit.detail == {"notification_preferences": {"leave": ["sms", "wechat"], "attendance": []}}
    preferences_save(actor=world.actor("parent"), choices={"leave": ["sms", "wechat"]})
    assert AuditEvent.objects.filter(event="update", object_type="accounts.user").count() == 1  # nothing changed


@pytest.mark.parametrize(
    ("choices", "field", "message"),
    [
        ({"fax_kind": ["sms"]}, "kind", "未知的通知类型：fax_kind"),
        ({"leave": ["sms", "fax"]}, "leave", "未知的渠道：fax（可选：短信 sms、微信 wechat）"),
        ({"leave": ["in_app"]}, "leave", "未知的渠道：in_app（可选：短信 sms、微信 wechat）"),
        ({"leave": "sms"}, "leave", '渠道应为列表，如 ["sms", "wechat"]'),
        (["leave"], "preferences", "格式应为 {类型: [渠道, …]}"),
    ],
)
def test_unknown_kinds_and_channels_are_refused_and_nothing_saved(
    world: Any, choices: Any, field: str, message: str
) -> None:
    NotificationPreferenceFactory(user=world.users["parent"], kind="attendance", channels=["sms"])
    with pytest.raises(ValidationFailed) as exc:
        preferences_save(actor=world.actor("parent"), choices=choices)
    assert exc.value.code == "invalid" and exc.value.detail == {field: [message]}
    assert _saved(world.users["parent"]) == {"attendance": ["sms"]}


def test_chosen_channels_decide_the_deliveries(world: Any) -> None:
    preferences_save(actor=world.actor("parent"), choices={"moment": ["wechat"]})
    notify(recipients=[world.users["parent"]], kind="moment", title="课堂风采")
    notify(recipients=[world.users["parent"]], kind="leave", title="请假")
    assert list(Delivery.objects.values_list("notification__kind", "channel")) == [("moment", "wechat")]


# --- page ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["parent", "teacher_a", "school_a", "bureau_a", "org_a", "orgteacher_a", "system"])
def test_every_role_has_the_preferences_page(world: Any, login: Any, key: str) -> None:
    NotificationPreferenceFactory(user=world.users[key], kind="leave", channels=["wechat"])
    html = login(world.users[key]).get(reverse("notifications:preferences")).content.decode()
    assert "通知设置" in html and "课堂风采" in html and "学校公告" in html
    assert html.count("checked disabled") == len(NotificationKind)  # in-app, always on
    assert 'value="leave:wechat" checked' in html and 'value="leave:sms">' in html


def test_the_page_saves_all_choices_in_one_post(world: Any, login: Any) -> None:
    parent = world.users["parent"]
    NotificationPreferenceFactory(user=parent, kind="attendance", channels=["sms"])
    client = login(parent)
    response = client.post(
        reverse("notifications:preferences"), {"choice": ["leave:sms", "leave:wechat", "payment:sms"]}
    )
    assert response.status_code == 302 and response.url == reverse("notifications:preferences")
    assert _saved(parent) == {"leave": ["sms", "wechat"], "payment": ["sms"]}
    assert "通知设置已保存" in client.get(response.url).content.decode()
    client.post(reverse("notifications:preferences"), {})
    assert _saved(parent) == {}


@pytest.mark.parametrize("bad", ["leave:fax", "nosuch:sms", "leave"])
def test_the_page_shows_a_chinese_error_for_an_unknown_kind_or_channel(world: Any, login: Any, bad: str) -> None:
    parent = world.users["parent"]
    NotificationPreferenceFactory(user=parent, kind="attendance", channels=["sms"])
    response = login(parent).post(reverse("notifications:preferences"), {"choice": ["leave:sms", bad]})
    html = response.content.decode()
    assert response.status_code == 200 and f"无效的选项：{bad}（未知的通知类型或渠道）" in html
    assert 'value="leave:sms" checked' in html  # what was ticked stays ticked
    assert _saved(parent) == {"attendance": ["sms"]}


def test_the_page_needs_a_login(client: Any) -> None:
    assert client.get(reverse("notifications:preferences")).status_code == 302


# --- API -------------------------------------------------------------------------------------------------------


def test_api_get_and_put(world: Any, login: Any) -> None:
    client = login(world.users["parent"])
    body = client.get(API).json()
    assert body["preferences"]["leave"] == [] and len(body["rows"]) == len(NotificationKind)
    assert body["rows"][0] == {"kind": "lesson_changed", "label": "课次变动", "channels": []}
    assert body["channels"] == [{"value": "sms", "label": "短信"}, {"value": "wechat", "label": "微信"}]
    put = client.put(
        API, {"preferences": {"leave": ["wechat"], "refund": ["sms", "wechat"]}}, content_type="application/json"
    )
    assert put.status_code == 200
    assert put.json()["preferences"]["refund"] == ["sms", "wechat"] and put.json()["preferences"]["leave"] == ["wechat"]
    assert client.get(API).json()["preferences"]["refund"] == ["sms", "wechat"]
    assert _saved(world.users["teacher_a"]) == {}


@pytest.mark.parametrize(
    "payload",
    [
        {"preferences": {"fax_kind": ["sms"]}},
        {"preferences": {"leave": ["pigeon"]}},
        {"preferences": {"leave": "sms"}},
        {"preferences": {"leave": ["sms"] * 11}},
        {"preferences": {"le\x00ave": ["sms"]}},
        {},
    ],
)
def test_api_refuses_bad_preferences_with_422(world: Any, login: Any, payload: Any) -> None:
    NotificationPreferenceFactory(user=world.users["parent"], kind="attendance", channels=["sms"])
    response = login(world.users["parent"]).put(API, payload, content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert _saved(world.users["parent"]) == {"attendance": ["sms"]}


def test_api_unknown_kind_names_it(world: Any, login: Any) -> None:
    response = login(world.users["parent"]).put(API, {"preferences": {"fax_kind": []}}, content_type="application/json")
    assert response.json()["detail"] == {"kind": ["未知的通知类型：fax_kind"]}


def test_api_needs_a_login(client: Any) -> None:
    assert client.get(API).status_code == 401
    assert client.put(API, {"preferences": {}}, content_type="application/json").status_code == 401


def test_preferences_of_someone_without_rows_is_in_app_only(world: Any) -> None:
    assert set(map(tuple, preferences_of(actor=world.actor("student")).values())) == {()}
