"""The slot grid (课后服务时段): overlap rule, standard week, pages, API, scoping, bureau read-only."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.scheduling.models import TimeSlot
from afterschool.scheduling.services import slots as services
from afterschool.scheduling.tests.factories import TimeSlotFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/scheduling"


def _post(client: Any, path: str, data: Any) -> Any:
    return client.post(f"{API}{path}", data=json.dumps(data), content_type="application/json")


def test_given_slot_when_overlapping_one_of_same_weekday_created_then_refused(world: Any) -> None:
    actor = world.actor("school_a")
    services.time_slot_create(
        actor=actor, data={"weekday": 1, "starts_at": dt.time(15, 40), "ends_at": dt.time(16, 40)}
    )
    with pytest.raises(ValidationFailed) as exc:
        services.time_slot_create(
            actor=actor, data={"weekday": 1, "starts_at": dt.time(16, 0), "ends_at": dt.time(17, 0)}
        )
    assert "重叠" in exc.value.detail["starts_at"][0]
    # another weekday, or another school, is fine
    services.time_slot_create(actor=actor, data={"weekday": 2, "starts_at": dt.time(16, 0), "ends_at": dt.time(17, 0)})
    services.time_slot_create(
        actor=world.actor("school_b"), data={"weekday": 1, "starts_at": dt.time(16, 0), "ends_at": dt.time(17, 0)}
    )
    with pytest.raises(ValidationFailed):
        services.time_slot_create(
            actor=actor, data={"weekday": 3, "starts_at": dt.time(17, 0), "ends_at": dt.time(16, 0)}
        )


def test_given_slot_when_moved_onto_neighbour_then_refused(world: Any) -> None:
    first = TimeSlotFactory(school=world.school_a, weekday=1)
    TimeSlotFactory(school=world.school_a, weekday=1, starts_at=dt.time(16, 50), ends_at=dt.time(17, 50))
    with pytest.raises(ValidationFailed):
        services.time_slot_update(actor=world.actor("school_a"), slot=first, data={"ends_at": dt.time(17, 0)})
    updated = services.time_slot_update(actor=world.actor("school_a"), slot=first, data={"ends_at": dt.time(16, 45)})
    assert updated.ends_at == dt.time(16, 45)


def test_given_empty_grid_when_standard_week_generated_twice_then_ten_slots(world: Any) -> None:
    created = services.time_slots_generate_week(actor=world.actor("school_a"))
    assert len(created) == 10
    assert services.time_slots_generate_week(actor=world.actor("school_a")) == []
    assert TimeSlot.objects.filter(school=world.school_a).count() == 10
    TimeSlot.objects.filter(school=world.school_a, weekday=5).delete()
    TimeSlotFactory(school=world.school_a, weekday=5, starts_at=dt.time(16, 0), ends_at=dt.time(16, 30))
    with pytest.raises(ValidationFailed):
        services.time_slots_generate_week(actor=world.actor("school_a"))
    assert TimeSlot.objects.filter(school=world.school_a).count() == 9  # all or nothing


def test_given_bureau_or_teacher_when_writing_then_refused(world: Any) -> None:
    for key in ("bureau_a", "teacher_a"):
        with pytest.raises(PermissionDenied):
            services.time_slot_create(
                actor=world.actor(key), data={"weekday": 1, "starts_at": dt.time(15), "ends_at": dt.time(16)}
            )


def test_slot_pages_create_generate_delete(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    data = {"weekday": "1", "starts_at": "15:40", "ends_at": "15:00", "name": "一"}
    response = client.post("/scheduling/slots/new/", data)
    assert response.status_code == 200 and "结束时间须晚于开始时间" in response.content.decode()
    assert client.post("/scheduling/slots/new/", {**data, "ends_at": "16:40"}).status_code == 302
    response = client.post("/scheduling/slots/new/", {**data, "starts_at": "16:00", "ends_at": "17:00"})
    assert "重叠" in response.content.decode()
    page = client.get("/scheduling/slots/").content.decode()
    assert "生成标准一周" in page and "星期一 15:40–16:40" in page
    form = {"weekdays": ["2", "3"], "first_starts_at": "15:40", "first_ends_at": "16:40",
            "second_starts_at": "16:50", "second_ends_at": "17:50"}  # fmt: skip
    assert client.post("/scheduling/slots/standard-week/", form).status_code == 302
    assert TimeSlot.objects.filter(school=world.school_a).count() == 5
    response = client.post("/scheduling/slots/standard-week/", {**form, "first_ends_at": "15:00"})
    assert "结束时间须晚于开始时间" in response.content.decode()
    slot = TimeSlot.objects.filter(school=world.school_a).first()
    assert slot is not None
    assert client.post(f"/scheduling/slots/{slot.pk}/delete/").status_code == 302
    assert AuditEvent.objects.filter(event="delete", object_type="scheduling.timeslot").exists()
    export = client.get("/scheduling/slots/?export=xlsx")
    assert export.status_code == 200 and AuditEvent.objects.filter(event="export").exists()


def test_slot_pages_scoping_and_bureau_read_only(world: Any, login: Any) -> None:
    slot = TimeSlotFactory(school=world.school_a)
    assert login(world.users["school_b"]).get(f"/scheduling/slots/{slot.pk}/").status_code == 404
    assert login(world.users["school_b"]).post(f"/scheduling/slots/{slot.pk}/delete/").status_code == 404
    bureau = login(world.users["bureau_a"])
    assert bureau.get(f"/scheduling/slots/{slot.pk}/").status_code == 200
    assert bureau.get("/scheduling/slots/new/").status_code == 403
    assert bureau.post("/scheduling/slots/standard-week/", {}).status_code == 403
    assert login(world.users["bureau_b"]).get(f"/scheduling/slots/{slot.pk}/").status_code == 404
    assert login(world.users["teacher_a"]).get("/scheduling/slots/").status_code == 403


def test_slot_api(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    response = _post(client, "/slots", {"weekday": 1, "starts_at": "15:40", "ends_at": "16:40", "name": "第一时段"})
    assert response.status_code == 201
    slot_id = response.json()["id"]
    clash = _post(client, "/slots", {"weekday": 1, "starts_at": "16:00", "ends_at": "17:00"})
    assert clash.status_code == 422 and "starts_at" in clash.json()["detail"]
    assert _post(client, "/slots", {"weekday": 8, "starts_at": "16:00", "ends_at": "17:00"}).status_code == 422
    week = _post(client, "/slots/standard-week", {"weekdays": [2, 3]})
    assert week.status_code == 201 and len(week.json()) == 4
    listing = client.get(f"{API}/slots?weekday=1").json()
    assert listing["count"] == 1
    patched = client.patch(f"{API}/slots/{slot_id}", data=json.dumps({"name": "一"}), content_type="application/json")
    assert patched.status_code == 200 and patched.json()["name"] == "一"
    other = login(world.users["school_b"])
    assert other.get(f"{API}/slots/{slot_id}").status_code == 404
    assert other.delete(f"{API}/slots/{slot_id}").status_code == 404
    bureau = login(world.users["bureau_a"])
    assert bureau.get(f"{API}/slots/{slot_id}").status_code == 200
    assert bureau.delete(f"{API}/slots/{slot_id}").status_code == 403
    assert client.delete(f"{API}/slots/{slot_id}").status_code == 204
