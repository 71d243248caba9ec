from __future__ import annotations

from typing import Any

import pytest

from afterschool.notifications.models import Notification
from afterschool.notifications.services.inbox import notifications_mark_read, notify

pytestmark = pytest.mark.django_db


def test_notify_writes_one_row_per_distinct_recipient(world: Any) -> None:
    parent, teacher = world.users["parent"], world.users["teacher_a"]
    written = notify(recipients=[parent, teacher, parent.pk, None], kind="lesson_changed", title="课次调整")  # type: ignore[list-item]
    assert written == 2
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted([parent.pk, teacher.pk])


def test_a_person_sees_and_marks_only_its_own_notifications(world: Any, login: Any) -> None:
    parent, teacher = world.users["parent"], world.users["teacher_a"]
    notify(recipients=[parent], kind="lesson_changed", title="周二美术课改到周三", body="地点不变")
    notify(recipients=[teacher], kind="lesson_changed", title="代课安排")
    page = login(parent).get("/notifications/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "周二美术课改到周三" in text and "代课安排" not in text
    assert notifications_mark_read(actor=world.actor("parent")) == 1
    assert Notification.objects.get(recipient=teacher).read_at is None
    assert Notification.objects.get(recipient=parent).read_at is not None


def test_mark_read_is_post_only_and_for_logged_in_people(world: Any, login: Any, client: Any) -> None:
    assert client.post("/notifications/read/").status_code == 302  # to the login page
    assert login(world.users["parent"]).get("/notifications/read/").status_code == 405
