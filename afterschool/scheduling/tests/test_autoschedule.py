"""Automatic scheduling runs: inputs, building the instance from the database (dispatch, busy elsewhere,
capacity), run → proposal → apply (through section_set_schedule), discard, stale/applied refused, infeasible
explained, scoping (cross-school 404) and bureau read-only, through services, pages and the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import UserFactory
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.scheduling.choices import SchedulingRunStatus, SectionEventKind, SectionMode, SectionStatus
from afterschool.scheduling.models import SchedulingRun, Section, SectionEvent
from afterschool.scheduling.services import autoschedule as services
from afterschool.scheduling.tests.factories import (
    LessonFactory,
    SectionFactory,
    SectionSlotFactory,
    SectionTeacherFactory,
    TimeSlotFactory,
)  # fmt: skip
from afterschool.schools.tests.factories import SchoolClassFactory, StaffFactory, TermFactory, VenueFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/scheduling"


class Setup:
    def __init__(self, world: Any) -> None:
        school = world.school_a
        self.term = TermFactory(school=school)
        self.mon = TimeSlotFactory(school=school, weekday=1)
        self.tue = TimeSlotFactory(school=school, weekday=2)
        self.room = VenueFactory(school=school, name="教室一", capacity=40)
        self.small = VenueFactory(school=school, name="小教室", capacity=10)
        self.teacher = UserFactory(display_name="周老师")
        StaffFactory(school=school, user=self.teacher)
        self.sections = [self.section(f"课班{i}") for i in (1, 2)]

    def section(self, name: str, *, teacher: Any = None, **kw: Any) -> Section:
        section = SectionFactory(school=self.term.school, term=self.term, name=name, venue=None, **kw)
        SectionTeacherFactory(section=section, user=teacher or self.teacher)
        section.allowed_slots.set([self.mon, self.tue])
        section.candidate_venues.set([self.room, self.small])
        return section


def _post(client: Any, path: str, data: Any = None) -> Any:
    return client.post(f"{API}{path}", data=json.dumps(data or {}), content_type="application/json")


def test_given_inputs_when_updated_then_saved_and_recorded(world: Any) -> None:
    s = Setup(world)
    section = s.sections[0]
    services.section_schedule_inputs_update(
        actor=world.actor("school_a"), section=section,
        data={"sessions_per_week": 2, "allowed_slots": [s.mon, s.tue], "preferred_slots": [s.tue]},
    )  # fmt: skip
    section.refresh_from_db()
    assert section.sessions_per_week == 2 and list(section.preferred_slots.all()) == [s.tue]
    assert SectionEvent.objects.filter(section=section, kind=SectionEventKind.UPDATED).exists()
    with pytest.raises(ValidationFailed) as exc:
        services.section_schedule_inputs_update(
            actor=world.actor("school_a"), section=section, data={"allowed_slots": [s.mon], "preferred_slots": [s.tue]}
        )
    assert "preferred_slots" in exc.value.detail
    other = TimeSlotFactory(school=world.school_b)
    with pytest.raises(ValidationFailed):
        services.section_schedule_inputs_update(
            actor=world.actor("school_a"), section=section, data={"allowed_slots": [other]}
        )
    Section.objects.filter(pk=section.pk).update(status=SectionStatus.RUNNING)
    with pytest.raises(Conflict):
        services.section_schedule_inputs_update(
            actor=world.actor("school_a"), section=section, data={"sessions_per_week": 1}
        )


def test_given_two_sections_of_one_teacher_when_run_then_apart_and_small_venue_warned(world: Any) -> None:
    s = Setup(world)
    run = services.run_create(actor=world.actor("school_a"), term=s.term)
    assert run.status == SchedulingRunStatus.PROPOSED and run.hard_violations == 0
    rows = run.proposal["sections"]
    assert {r["slots"][0]["time_slot_id"] for r in rows} == {s.mon.pk, s.tue.pk}
    assert {r["venue_id"] for r in rows} == {s.room.pk}
    assert any("小教室" in w and "容量" in w for w in run.proposal["warnings"])
    assert run.proposal["soft"]["score"] == 0


def test_given_run_when_applied_then_sections_get_slots_and_venue_once(world: Any) -> None:
    s = Setup(world)
    actor = world.actor("school_a")
    run = services.run_create(actor=actor, term=s.term)
    services.run_apply(actor=actor, run=run)
    run.refresh_from_db()
    assert run.status == SchedulingRunStatus.APPLIED and run.applied_by == world.users["school_a"]
    for section in s.sections:
        section.refresh_from_db()
        assert section.venue == s.room
        assert [slot.time_slot for slot in section.slots.all()] in ([s.mon], [s.tue])
        assert SectionEvent.objects.filter(section=section, kind=SectionEventKind.AUTO_SCHEDULED).exists()
    assert AuditEvent.objects.filter(object_type="scheduling.schedulingrun", event="update").exists()
    with pytest.raises(Conflict):
        services.run_apply(actor=actor, run=run)
    with pytest.raises(Conflict):
        services.run_discard(actor=actor, run=run)


def test_given_section_changed_since_run_when_applied_then_refused_as_stale(world: Any) -> None:
    s = Setup(world)
    actor = world.actor("school_a")
    run = services.run_create(actor=actor, term=s.term)
    services.section_schedule_inputs_update(actor=actor, section=s.sections[0], data={"preferred_slots": [s.mon]})
    with pytest.raises(Conflict) as exc:
        services.run_apply(actor=actor, run=run)
    assert exc.value.code == "run_stale"
    s.sections[0].refresh_from_db()
    assert not s.sections[0].slots.exists()


def test_given_apply_refused_for_one_section_then_nothing_applied_and_run_shows_error(world: Any) -> None:
    s = Setup(world)
    actor = world.actor("school_a")
    s.sections[0].allowed_slots.set([s.mon])
    s.sections[1].allowed_slots.set([s.tue])
    run = services.run_create(actor=actor, term=s.term)
    # Meanwhile the teacher gets a lesson on the Tuesday of another (running) section: applying must fail.
    other = SectionFactory(school=world.school_a, term=s.term, status=SectionStatus.RUNNING)
    SectionTeacherFactory(section=other, user=s.teacher)
    SectionSlotFactory(section=other, weekday=2)
    LessonFactory(section=other, date=dt.date(2026, 9, 8), teachers=[s.teacher])
    with pytest.raises(Exception):  # noqa: B017 - the sections helper's refusal (ValidationFailed/Conflict)
        services.run_apply(actor=actor, run=run)
    run.refresh_from_db()
    assert run.status == SchedulingRunStatus.PROPOSED and any(c.startswith("应用失败") for c in run.conflicts)
    for section in s.sections:
        section.refresh_from_db()
        assert not section.slots.exists() and section.venue is None


def test_given_teacher_busy_elsewhere_when_run_then_that_slot_avoided(world: Any) -> None:
    s = Setup(world)
    s.sections[1].delete()
    other = SectionFactory(school=world.school_a2, status=SectionStatus.RUNNING)
    SectionTeacherFactory(section=other, user=s.teacher)
    SectionSlotFactory(section=other, weekday=1, starts_at=dt.time(16, 0), ends_at=dt.time(17, 0))
    run = services.run_create(actor=world.actor("school_a"), term=s.term)
    assert [r["slots"][0]["time_slot_id"] for r in run.proposal["sections"]] == [s.tue.pk]


def test_given_teacher_not_dispatched_when_run_then_infeasible_naming_teacher(world: Any) -> None:
    s = Setup(world)
    s.section("外聘课班", teacher=UserFactory(display_name="外来老师"))
    run = services.run_create(actor=world.actor("school_a"), term=s.term)
    assert run.status == SchedulingRunStatus.INFEASIBLE and run.solver_status == "PRECHECK"
    assert any("外来老师" in c for c in run.conflicts)
    with pytest.raises(Conflict):
        services.run_apply(actor=world.actor("school_a"), run=run)
    assert services.run_discard(actor=world.actor("school_a"), run=run).status == SchedulingRunStatus.DISCARDED


def test_given_too_many_sessions_for_class_when_run_then_class_named(world: Any) -> None:
    s = Setup(world)
    school_class = SchoolClassFactory(school=world.school_a, name="三年级2班")
    for section in s.sections:
        section.mode = SectionMode.CLASS
        section.save()
        section.classes.set([school_class])
        SectionTeacherFactory(section=section, user=UserFactory())
    third = s.section("课班3", teacher=UserFactory(), mode=SectionMode.CLASS)
    third.classes.set([school_class])
    for u in {link.user for sec in Section.objects.all() for link in sec.teacher_links.all()}:
        StaffFactory(school=world.school_a, user=u)
    run = services.run_create(actor=world.actor("school_a"), term=s.term)
    assert run.status == SchedulingRunStatus.INFEASIBLE
    assert any("三年级2班" in c or "周老师" in c for c in run.conflicts)


def test_given_no_schedulable_section_when_run_then_refused(world: Any) -> None:
    term = TermFactory(school=world.school_a, academic_year=2027)
    with pytest.raises(ValidationFailed):
        services.run_create(actor=world.actor("school_a"), term=term)


def test_given_bureau_or_other_school_when_running_then_refused(world: Any) -> None:
    s = Setup(world)
    with pytest.raises(PermissionDenied):
        services.run_create(actor=world.actor("bureau_a"), term=s.term)
    from afterschool.core.errors import NotFound

    with pytest.raises(NotFound):
        services.run_create(actor=world.actor("school_b"), term=s.term)


def test_run_pages(world: Any, login: Any) -> None:
    s = Setup(world)
    client = login(world.users["school_a"])
    page = client.get(f"/scheduling/runs/new/?term={s.term.pk}").content.decode()
    assert "课班1" in page and "开始排课" in page
    response = client.post(f"/scheduling/runs/sections/{s.sections[0].pk}/inputs/",
                           {"sessions_per_week": "1", "allowed_slots": [s.mon.pk], "preferred_slots": [s.tue.pk],
                            "candidate_venues": [s.room.pk]})  # fmt: skip
    assert "优先时段须在可选时段之内" in response.content.decode()
    response = client.post("/scheduling/runs/new/", {"term": s.term.pk})
    assert response.status_code == 302
    run = SchedulingRun.objects.get()
    detail = client.get(f"/scheduling/runs/{run.pk}/").content.decode()
    assert "课班1" in detail and "教室一" in detail and "周老师" in detail and "软目标" in detail
    listing = client.get("/scheduling/runs/").content.decode()
    assert f"#{run.pk}" in listing
    assert client.get("/scheduling/runs/?export=xlsx").status_code == 200
    assert "确认应用" in client.get(f"/scheduling/runs/{run.pk}/apply/").content.decode()
    assert client.post(f"/scheduling/runs/{run.pk}/apply/").status_code == 302
    assert client.post(f"/scheduling/runs/{run.pk}/apply/").status_code == 409
    assert client.post(f"/scheduling/runs/{run.pk}/discard/").status_code == 409
    # other school: 404; bureau: read only
    assert login(world.users["school_b"]).get(f"/scheduling/runs/{run.pk}/").status_code == 404
    assert login(world.users["school_b"]).post(f"/scheduling/runs/{run.pk}/discard/").status_code == 404
    bureau = login(world.users["bureau_a"])
    assert bureau.get(f"/scheduling/runs/{run.pk}/").status_code == 200
    assert bureau.post(f"/scheduling/runs/{run.pk}/discard/").status_code == 403
    assert bureau.get("/scheduling/runs/new/").status_code == 403
    assert login(world.users["bureau_b"]).get(f"/scheduling/runs/{run.pk}/").status_code == 404


def test_run_api(world: Any, login: Any) -> None:
    s = Setup(world)
    client = login(world.users["school_a"])
    inputs = client.put(f"{API}/sections/{s.sections[0].pk}/schedule-inputs", data=json.dumps(
        {"sessions_per_week": 1, "allowed_slot_ids": [s.mon.pk, s.tue.pk], "candidate_venue_ids": [s.room.pk]}),
        content_type="application/json")  # fmt: skip
    assert inputs.status_code == 200 and inputs.json()["candidate_venue_ids"] == [s.room.pk]
    bad = client.put(f"{API}/sections/{s.sections[0].pk}/schedule-inputs",
                     data=json.dumps({"allowed_slot_ids": [999999]}), content_type="application/json")  # fmt: skip
    assert bad.status_code == 422
    response = _post(client, "/runs", {"term_id": s.term.pk})
    assert response.status_code == 201 and response.json()["status"] == "proposed"
    run_id = response.json()["id"]
    assert client.get(f"{API}/runs").json()["count"] == 1
    assert client.get(f"{API}/runs/{run_id}").json()["hard_violations"] == 0
    other = login(world.users["school_b"])
    assert other.get(f"{API}/runs/{run_id}").status_code == 404
    assert _post(other, f"/runs/{run_id}/apply").status_code == 404
    assert _post(other, "/runs", {"term_id": s.term.pk}).status_code == 404
    bureau = login(world.users["bureau_a"])
    assert bureau.get(f"{API}/runs/{run_id}").status_code == 200
    assert _post(bureau, f"/runs/{run_id}/apply").status_code == 403
    assert _post(bureau, "/runs", {"term_id": s.term.pk}).status_code == 403
    assert _post(client, f"/runs/{run_id}/apply").json()["status"] == "applied"
    assert _post(client, f"/runs/{run_id}/apply").status_code == 409
    assert _post(client, f"/runs/{run_id}/discard").status_code == 409
    assert _post(client, "/runs", {"term_id": 2**62}).status_code == 404
