"""The regular class timetable: cell uniqueness, teacher clash, grid page, read-only teachers, API, scoping."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.schools.models import SchoolClass, TimetableEntry
from afterschool.schools.services import timetable as services
from afterschool.schools.tests.factories import (
    GradeFactory,
    SchoolClassFactory,
    StaffFactory,
    TimetableEntryFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/schools"


def _json(client: Any, method: str, path: str, data: Any = None) -> Any:
    if method == "get":
        return client.get(f"{API}{path}")
    return getattr(client, method)(f"{API}{path}", data=json.dumps(data), content_type="application/json")


def _class(school: Any, name: str = "1班") -> SchoolClass:
    return SchoolClassFactory(grade=GradeFactory(school=school), name=name)  # type: ignore[no-any-return]


def _cell(**overrides: Any) -> dict[str, Any]:
    data = {"weekday": 1, "period": 1, "starts_at": dt.time(8, 0), "ends_at": dt.time(8, 40), "subject": "语文"}
    data.update(overrides)
    return data


# --- rules --------------------------------------------------------------------------------------------


def test_entry_created_and_audited(world: Any) -> None:
    school_class = _class(world.school_a)
    entry = services.timetable_entry_create(actor=world.actor("school_a"), school_class=school_class, data=_cell())
    assert entry.school_class == school_class
    assert AuditEvent.objects.filter(event="create", object_type="schools.timetableentry").exists()


def test_same_class_weekday_period_refused_with_clear_message(world: Any) -> None:
    school_class = _class(world.school_a)
    actor = world.actor("school_a")
    services.timetable_entry_create(actor=actor, school_class=school_class, data=_cell())
    with pytest.raises(Conflict) as exc:
        services.timetable_entry_create(actor=actor, school_class=school_class, data=_cell(subject="数学"))
    assert exc.value.code == "timetable_cell_taken"
    assert "星期一第 1 节已有课程（语文）" in exc.value.message


def test_teacher_cannot_teach_two_classes_at_same_weekday_and_period(world: Any) -> None:
    teacher = StaffFactory(school=world.school_a, name="周老师")
    grade = GradeFactory(school=world.school_a)
    one, two = SchoolClassFactory(grade=grade, name="1班"), SchoolClassFactory(grade=grade, name="2班")
    actor = world.actor("school_a")
    services.timetable_entry_create(actor=actor, school_class=one, data=_cell(teacher=teacher))
    with pytest.raises(Conflict) as exc:
        services.timetable_entry_create(actor=actor, school_class=two, data=_cell(teacher=teacher))
    assert exc.value.code == "teacher_busy" and "周老师" in exc.value.message
    # Another period is fine.
    assert services.timetable_entry_create(actor=actor, school_class=two, data=_cell(period=2, teacher=teacher)).pk


def test_moving_an_entry_onto_a_busy_teacher_slot_is_refused(world: Any) -> None:
    teacher = StaffFactory(school=world.school_a)
    grade = GradeFactory(school=world.school_a)
    one, two = SchoolClassFactory(grade=grade, name="1班"), SchoolClassFactory(grade=grade, name="2班")
    TimetableEntryFactory(school_class=one, weekday=2, period=3, teacher=teacher)
    entry = TimetableEntryFactory(school_class=two, weekday=2, period=4, teacher=teacher)
    with pytest.raises(Conflict):
        services.timetable_entry_update(actor=world.actor("school_a"), entry=entry, data={"period": 3})


def test_entry_must_end_after_it_starts(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.timetable_entry_create(
            actor=world.actor("school_a"), school_class=_class(world.school_a), data=_cell(ends_at=dt.time(8, 0))
        )
    assert "ends_at" in exc.value.detail


def test_teacher_of_other_school_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.timetable_entry_create(
            actor=world.actor("system"),
            school_class=_class(world.school_a),
            data=_cell(teacher=StaffFactory(school=world.school_b)),
        )
    assert "teacher" in exc.value.detail


def test_teacher_role_cannot_write(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.timetable_entry_create(
            actor=world.actor("teacher_a"), school_class=_class(world.school_a), data=_cell()
        )


# --- pages --------------------------------------------------------------------------------------------


def test_grid_shows_periods_by_weekday_and_defaults_to_first_class(world: Any, login: Any) -> None:
    school_class = _class(world.school_a)
    TimetableEntryFactory(school_class=school_class, weekday=1, period=1, subject="语文")
    TimetableEntryFactory(school_class=school_class, weekday=3, period=2, subject="科学")
    html = login(world.users["school_a"]).get("/school/timetable/").content.decode()
    assert 'class="table-wrap timetable-wrap"' in html
    assert "星期五" in html and "星期六" not in html
    assert "语文" in html and "科学" in html and "第 2 节" in html
    assert f'value="{school_class.pk}" selected' in html


def test_grid_shows_weekend_only_when_used(world: Any, login: Any) -> None:
    school_class = _class(world.school_a)
    TimetableEntryFactory(school_class=school_class, weekday=6, period=1, subject="书法")
    html = login(world.users["school_a"]).get("/school/timetable/", {"class": school_class.pk}).content.decode()
    assert "星期六" in html and "星期日" not in html


def test_teacher_views_grid_read_only(world: Any, login: Any) -> None:
    school_class = _class(world.school_a)
    entry = TimetableEntryFactory(school_class=school_class, subject="音乐")
    client = login(world.users["teacher_a"])
    html = client.get("/school/timetable/", {"class": school_class.pk}).content.decode()
    assert "音乐" in html and "添加课程" not in html and "/edit/" not in html
    assert client.get(f"/school/timetable/entries/new/?class={school_class.pk}").status_code == 403
    assert client.post(f"/school/timetable/entries/{entry.pk}/delete/").status_code == 403
    assert _json(client, "get", f"/classes/{school_class.pk}/timetable").status_code == 200
    assert _json(client, "delete", f"/timetable-entries/{entry.pk}").status_code == 403


def test_other_roles_cannot_view_timetable(world: Any, login: Any) -> None:
    assert login(world.users["parent"]).get("/school/timetable/").status_code == 403
    assert login(world.users["org_a"]).get("/school/timetable/").status_code == 403


def test_admin_adds_edits_and_deletes_cells_through_pages(world: Any, login: Any) -> None:
    school_class = _class(world.school_a)
    teacher = StaffFactory(school=world.school_a, name="钱老师")
    client = login(world.users["school_a"])
    form = {
        "weekday": "2",
        "period": "3",
        "starts_at": "10:00",
        "ends_at": "10:40",
        "subject": "数学",
        "teacher": str(teacher.pk),
    }
    url = f"/school/timetable/entries/new/?class={school_class.pk}"
    assert 'value="2" selected' in client.get(url + "&weekday=2&period=3").content.decode()
    assert client.post(url, form).status_code == 302
    duplicate = client.post(url, {**form, "subject": "英语"})
    assert duplicate.status_code == 200 and "已有课程（数学）" in duplicate.content.decode()
    entry = TimetableEntry.objects.get()
    assert client.post(f"/school/timetable/entries/{entry.pk}/edit/", {**form, "subject": "奥数"}).status_code == 302
    entry.refresh_from_db()
    assert entry.subject == "奥数"
    assert "data-confirm" in client.get(f"/school/timetable/entries/{entry.pk}/edit/").content.decode()
    assert client.post(f"/school/timetable/entries/{entry.pk}/delete/").status_code == 302
    assert not TimetableEntry.objects.exists()


def test_timetable_export_xlsx(world: Any, login: Any) -> None:
    school_class = _class(world.school_a)
    TimetableEntryFactory(school_class=school_class, weekday=1, period=1, subject="语文")
    response = login(world.users["school_a"]).get("/school/timetable/", {"class": school_class.pk, "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows == [
        ("星期", "节次", "开始时间", "结束时间", "学科", "任课教师"),
        ("星期一", 1, "08:00", "08:40", "语文", None),
    ]
    assert AuditEvent.objects.filter(event="export").exists()


def test_cross_school_timetable_answers_404(world: Any, login: Any) -> None:
    school_class = _class(world.school_a)
    entry = TimetableEntryFactory(school_class=school_class)
    other = login(world.users["school_a2"])
    assert other.get("/school/timetable/", {"class": school_class.pk}).status_code == 404
    assert other.get(f"/school/timetable/entries/{entry.pk}/edit/").status_code == 404
    assert other.post(f"/school/timetable/entries/{entry.pk}/delete/").status_code == 404
    assert _json(other, "get", f"/classes/{school_class.pk}/timetable").status_code == 404
    assert _json(other, "patch", f"/timetable-entries/{entry.pk}", {"subject": "x"}).status_code == 404
    assert _json(other, "delete", f"/timetable-entries/{entry.pk}").status_code == 404
    created = _json(
        other,
        "post",
        "/timetable-entries",
        {
            "school_class_id": school_class.pk,
            "weekday": 1,
            "period": 5,
            "starts_at": "13:00",
            "ends_at": "13:40",
            "subject": "x",
        },
    )
    assert created.status_code == 422
    assert login(world.users["bureau_b"]).get("/school/timetable/", {"class": school_class.pk}).status_code == 404
    assert TimetableEntry.objects.count() == 1


def test_bureau_reads_timetable_but_cannot_write(world: Any, login: Any) -> None:
    school_class = _class(world.school_a)
    entry = TimetableEntryFactory(school_class=school_class)
    client = login(world.users["bureau_a"])
    assert client.get("/school/timetable/", {"class": school_class.pk}).status_code == 200
    assert client.get(f"/school/timetable/entries/{entry.pk}/edit/").status_code == 403
    assert _json(client, "patch", f"/timetable-entries/{entry.pk}", {"subject": "x"}).status_code == 403


# --- API ----------------------------------------------------------------------------------------------


def test_api_entry_crud_and_refusals(world: Any, login: Any) -> None:
    grade = GradeFactory(school=world.school_a)
    one, two = SchoolClassFactory(grade=grade, name="1班"), SchoolClassFactory(grade=grade, name="2班")
    teacher = StaffFactory(school=world.school_a)
    client = login(world.users["school_a"])
    payload = {
        "school_class_id": one.pk,
        "weekday": 1,
        "period": 1,
        "starts_at": "08:00",
        "ends_at": "08:40",
        "subject": "语文",
        "teacher_id": teacher.pk,
    }
    created = _json(client, "post", "/timetable-entries", payload)
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    taken = _json(client, "post", "/timetable-entries", payload)
    assert taken.status_code == 409 and taken.json()["code"] == "timetable_cell_taken"
    busy = _json(client, "post", "/timetable-entries", {**payload, "school_class_id": two.pk})
    assert busy.status_code == 409 and busy.json()["code"] == "teacher_busy"
    backwards = _json(client, "post", "/timetable-entries", {**payload, "period": 2, "ends_at": "07:00"})
    assert backwards.status_code == 422
    stranger = StaffFactory(school=world.school_b)
    assert (
        _json(client, "post", "/timetable-entries", {**payload, "period": 3, "teacher_id": stranger.pk}).status_code
        == 422
    )
    listed = _json(client, "get", f"/timetable-entries?school_class={one.pk}&q=语文&weekday=1").json()
    assert listed["count"] == 1 and listed["items"][0]["teacher_id"] == teacher.pk
    assert [e["id"] for e in _json(client, "get", f"/classes/{one.pk}/timetable").json()] == [entry_id]
    patched = _json(client, "patch", f"/timetable-entries/{entry_id}", {"teacher_id": None, "subject": "阅读"})
    assert patched.status_code == 200 and patched.json()["teacher_id"] is None
    assert _json(client, "delete", f"/timetable-entries/{entry_id}").status_code == 204
