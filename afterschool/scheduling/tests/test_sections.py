"""Sections (课班): creation rules, status flow, the daily status task, edit/delete rules, pages and API with
cross-school 404 and the bureau's read-only access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import UserFactory
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.courses.models import CourseOffer
from afterschool.courses.tests.factories import DispatchFactory, OrgTeacherFactory
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.scheduling.choices import SectionEventKind, SectionStatus
from afterschool.scheduling.models import Section, SectionEvent
from afterschool.scheduling.services import lessons as lesson_services
from afterschool.scheduling.services import sections as services
from afterschool.scheduling.tasks import advance_section_statuses
from afterschool.scheduling.tests.factories import TimeSlotFactory
from afterschool.schools.models import RegistrationWindow
from afterschool.schools.tests.factories import GradeFactory, StudentFactory, VenueFactory

from .factories_sections import Sched, start


@pytest.fixture
def sched(world: Any, monkeypatch: Any) -> Sched:
    return start(world, monkeypatch)


D = dt.date
T = dt.time
API = "/api/v1/scheduling"


# --- creation rules ---------------------------------------------------------------------------------------


def test_given_valid_data_when_creating_then_draft_with_slots_teachers_event_and_audit(sched: Sched) -> None:
    section = sched.create()
    assert section.status == SectionStatus.DRAFT and section.fee_fen == 30000
    assert list(section.grades.all()) == [sched.grade]
    assert [str(s) for s in section.slots.all()] == ["星期二 15:40–16:40"]
    assert section.teacher_links.get().is_main
    assert SectionEvent.objects.filter(section=section, kind=SectionEventKind.CREATED).exists()
    assert AuditEvent.objects.filter(event="create").exists()


def test_given_course_not_approved_when_creating_then_refused_with_reason(sched: Sched) -> None:
    CourseOffer.objects.filter(course=sched.course).update(status="submitted")
    with pytest.raises(ValidationFailed) as exc:
        sched.create()
    assert "course" in exc.value.detail


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_on": D(2026, 8, 20)}, "starts_on"),
        ({"ends_on": D(2027, 2, 1)}, "starts_on"),
        ({"min_students": 40, "max_students": 30}, "max_students"),
        ({"fee_fen": -1}, "fee_fen"),
        ({"grades": []}, "grades"),
        ({"mode": "class", "classes": []}, "classes"),
        ({"teachers": []}, "teachers"),
    ],
)
def test_given_bad_field_when_creating_then_refused_on_that_field(
    sched: Sched, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        sched.create(**overrides)
    assert field in exc.value.detail


def test_given_other_schools_grade_venue_or_window_when_creating_then_refused(sched: Sched) -> None:
    other_grade = GradeFactory(school=sched.world.school_a2)
    other_venue = VenueFactory(school=sched.world.school_a2)
    with pytest.raises(ValidationFailed) as exc:
        sched.create(grades=[other_grade], venue=other_venue)
    assert {"grades", "venue"} <= set(exc.value.detail)
    from afterschool.schools.tests.factories import TermFactory

    other_term = TermFactory(
        school=sched.school, academic_year=2027, term_number=2, starts_on=D(2027, 2, 20), ends_on=D(2027, 7, 1)
    )
    window = RegistrationWindow.objects.create(
        term=other_term,
        name="春季报名",
        opens_at=dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
        closes_at=dt.datetime(2027, 2, 5, tzinfo=dt.UTC),
    )
    with pytest.raises(ValidationFailed) as exc:
        sched.create(registration_window=window)
    assert "registration_window" in exc.value.detail


def test_given_class_mode_when_creating_then_grades_follow_classes(sched: Sched) -> None:
    other_grade = GradeFactory(school=sched.school, level=5, name="五年级")
    section = sched.create(mode="class", classes=[sched.class_1], grades=[other_grade])
    assert list(section.grades.all()) == [sched.grade]
    assert list(section.classes.all()) == [sched.class_1]


def test_given_overlapping_slots_when_creating_then_refused(sched: Sched) -> None:
    slots = [
        {"weekday": 2, "starts_at": T(15, 40), "ends_at": T(16, 40)},
        {"weekday": 2, "starts_at": T(16, 0), "ends_at": T(17, 0)},
    ]
    with pytest.raises(ValidationFailed) as exc:
        sched.create(slots=slots)
    assert "上课时间重叠" in exc.value.detail["slots"][0]


def test_given_school_time_slot_when_creating_then_its_times_used(sched: Sched) -> None:
    time_slot = TimeSlotFactory(school=sched.school, weekday=4, starts_at=T(16, 0), ends_at=T(17, 0))
    section = sched.create(slots=[{"time_slot": time_slot}])
    slot = section.slots.get()
    assert (slot.weekday, slot.starts_at, slot.time_slot) == (4, T(16, 0), time_slot)


def test_given_org_teacher_when_dispatched_then_accepted_else_refused(sched: Sched) -> None:
    user = UserFactory(display_name="赵老师")
    teacher = OrgTeacherFactory(organization=sched.world.org_a, user=user)
    with pytest.raises(ValidationFailed) as exc:
        sched.create(teachers=[user])
    assert "没有外派到本校" in exc.value.detail["teachers"][0]
    DispatchFactory(teacher=teacher, school=sched.school, starts_on=D(2026, 9, 1), ends_on=D(2026, 9, 30))
    with pytest.raises(ValidationFailed) as exc:  # the dispatch must cover the section's dates
        sched.create(teachers=[user])
    assert "未覆盖" in exc.value.detail["teachers"][0]
    DispatchFactory(teacher=teacher, school=sched.school, starts_on=D(2026, 10, 1), ends_on=D(2027, 1, 20))
    assert sched.create(teachers=[user], starts_on=D(2026, 10, 5)).teachers.get() == user


def test_given_small_venue_when_creating_then_saved_with_capacity_warning(sched: Sched) -> None:
    small = VenueFactory(school=sched.school, name="小教室", capacity=10)
    section = sched.create(venue=small)
    assert services.section_warnings(section) == ["场地“小教室”容量 10 人，少于课班最多人数 30 人"]


def test_given_yuan_with_three_decimals_when_converting_then_refused() -> None:
    assert services.fen_from_yuan("35.50", field="fee_fen") == 3550
    with pytest.raises(ValidationFailed) as exc:
        services.fen_from_yuan("1.005", field="fee_fen")
    assert "fee_fen" in exc.value.detail


# --- status ------------------------------------------------------------------------------------------------


def test_given_draft_without_lessons_when_opening_then_refused_then_opens_after_generation(sched: Sched) -> None:
    actor = sched.world.actor("school_a")
    section = sched.create()
    with pytest.raises(ValidationFailed):
        services.section_set_status(actor=actor, section=section, status="open")
    lesson_services.lessons_generate(actor=actor, section=section)
    assert services.section_set_status(actor=actor, section=section, status="open").status == "open"
    with pytest.raises(ValidationFailed):  # cancelling is the operations' cancel action
        services.section_set_status(actor=actor, section=section, status="cancelled")
    with pytest.raises(ValidationFailed):  # no skipping
        services.section_set_status(actor=actor, section=section, status="finished")
    assert services.section_set_status(actor=actor, section=section, status="running").status == "running"
    with pytest.raises(ValidationFailed):  # running: schedule edits refused
        services.section_update(actor=actor, section=section, data={"name": "改名"})
    assert services.section_set_status(actor=actor, section=section, status="finished").status == "finished"
    with pytest.raises(ValidationFailed):  # final
        services.section_set_status(actor=actor, section=section, status="running")


def test_given_course_withdrawn_when_opening_then_refused(sched: Sched) -> None:
    actor = sched.world.actor("school_a")
    section = sched.create()
    lesson_services.lessons_generate(actor=actor, section=section)
    CourseOffer.objects.filter(course=sched.course).update(status="withdrawn")
    with pytest.raises(ValidationFailed):
        services.section_set_status(actor=actor, section=section, status="open")


def test_given_open_and_running_sections_when_daily_task_runs_then_statuses_advance(
    sched: Sched, monkeypatch: Any
) -> None:
    actor = sched.world.actor("school_a")
    section = sched.create()
    lesson_services.lessons_generate(actor=actor, section=section)
    services.section_set_status(actor=actor, section=section, status="open")
    assert services.section_advance_statuses(today=D(2026, 9, 7)) == {"running": 0, "finished": 0}
    assert services.section_advance_statuses(today=D(2026, 9, 8)) == {"running": 1, "finished": 0}
    assert services.section_advance_statuses(today=D(2026, 10, 27)) == {"running": 0, "finished": 0}
    assert services.section_advance_statuses(today=D(2026, 10, 28)) == {"running": 0, "finished": 1}
    assert Section.objects.get(pk=section.pk).status == "finished"
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: D(2026, 10, 29))
    assert advance_section_statuses() == {"running": 0, "finished": 0}


# --- edit and delete ---------------------------------------------------------------------------------------


def test_given_section_with_lessons_when_changing_slot_then_future_lessons_follow(sched: Sched) -> None:
    actor = sched.world.actor("school_a")
    section = sched.create()
    lesson_services.lessons_generate(actor=actor, section=section)
    services.section_update(
        actor=actor, section=section, data={"slots": [{"weekday": 4, "starts_at": T(15, 40), "ends_at": T(16, 40)}]}
    )
    assert {lesson.date.isoweekday() for lesson in section.lessons.all()} == {4}


def test_given_draft_with_enrolment_when_deleting_then_refused_else_deleted(sched: Sched) -> None:
    actor = sched.world.actor("school_a")
    section = sched.create()
    enrollment = EnrollmentFactory(section=section, student=StudentFactory(school_class=sched.class_1))
    with pytest.raises(Conflict):
        services.section_delete(actor=actor, section=section)
    enrollment.delete()
    services.section_delete(actor=actor, section=section)
    assert not Section.objects.filter(pk=section.pk).exists()


def test_given_other_school_or_bureau_when_writing_then_not_found_or_denied(sched: Sched) -> None:
    section = sched.create()
    with pytest.raises(NotFound):
        services.section_update(actor=sched.world.actor("school_a2"), section=section, data={"name": "x"})
    with pytest.raises(PermissionDenied):
        services.section_update(actor=sched.world.actor("bureau_a"), section=section, data={"name": "x"})
    with pytest.raises(PermissionDenied):
        services.section_create(actor=sched.world.actor("bureau_a"), data=sched.data())


# --- pages -------------------------------------------------------------------------------------------------


def test_given_school_admin_when_using_pages_then_create_generate_and_see_detail(sched: Sched, login: Any) -> None:
    client = login(sched.world.users["school_a"])
    assert client.get(reverse("scheduling:section_create")).status_code == 200
    post = {
        "name": "页面课班", "term": sched.term.pk, "course": sched.course.pk, "mode": "walking",
        "grades": [sched.grade.pk], "fee_yuan": "300.00", "materials_fee_yuan": "50.5", "materials_included": "on",
        "min_students": 5,
        "max_students": 50, "starts_on": "2026-09-07", "ends_on": "2026-10-31", "venue": sched.venue.pk,
        "teachers": [sched.teacher.pk], "slots-TOTAL_FORMS": 2, "slots-INITIAL_FORMS": 0, "slots-MIN_NUM_FORMS": 0,
        "slots-MAX_NUM_FORMS": 14, "slots-0-weekday": 2, "slots-0-starts_at": "15:40", "slots-0-ends_at": "16:40",
    }  # fmt: skip
    response = client.post(reverse("scheduling:section_create"), post, follow=True)
    assert response.status_code == 200
    section = Section.objects.get(name="页面课班")
    assert (section.fee_fen, section.materials_fee_fen) == (30000, 5050)
    assert "容量 40 人，少于课班最多人数 50 人" in response.content.decode()
    response = client.post(reverse("scheduling:lessons_generate", args=[section.pk]), follow=True)
    assert section.lessons.count() == 8
    assert "已生成 8 个课次" in response.content.decode()
    lesson = section.lessons.order_by("date").first()
    assert client.get(reverse("scheduling:lesson_move", args=[lesson.pk])).status_code == 200  # type: ignore[union-attr]
    response = client.post(reverse("scheduling:lesson_cancel", args=[lesson.pk]), {"reason": ""})  # type: ignore[union-attr]
    assert (
        response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    ) or "必填" in response.content.decode()
    listing = client.get(reverse("scheduling:section_list"), {"q": "页面"})
    assert "页面课班" in listing.content.decode()
    export = client.get(reverse("scheduling:section_list"), {"export": "xlsx"})
    assert export.status_code == 200 and AuditEvent.objects.filter(event="export").exists()


def test_given_page_conflict_when_saving_then_form_names_the_clash(sched: Sched, login: Any) -> None:
    sched.create(name="少儿创意美术")
    client = login(sched.world.users["school_a"])
    post = {
        "name": "第二个", "term": sched.term.pk, "course": sched.course.pk, "mode": "walking",
        "grades": [sched.grade.pk], "fee_yuan": "0", "materials_fee_yuan": "0", "min_students": 1, "max_students": 20,
        "starts_on": "2026-09-07",
        "ends_on": "2026-10-31", "venue": sched.venue.pk, "teachers": [sched.teacher_2.pk], "slots-TOTAL_FORMS": 1,
        "slots-INITIAL_FORMS": 0, "slots-0-weekday": 2, "slots-0-starts_at": "16:00", "slots-0-ends_at": "17:00",
    }  # fmt: skip
    response = client.post(reverse("scheduling:section_create"), post)
    assert response.status_code == 200
    assert "场地“美术教室”在 2026-09-08 15:40–16:40 已有课班“少儿创意美术”" in response.content.decode()


def test_given_other_school_admin_when_opening_pages_then_404(sched: Sched, login: Any) -> None:
    section = sched.create()
    lesson = lesson_services.lessons_generate(actor=sched.world.actor("school_a"), section=section)[0]
    client = login(sched.world.users["school_a2"])
    for url in (
        reverse("scheduling:section_detail", args=[section.pk]),
        reverse("scheduling:section_edit", args=[section.pk]),
        reverse("scheduling:section_delete", args=[section.pk]),
        reverse("scheduling:lesson_move", args=[lesson.pk]),
        reverse("scheduling:lesson_cancel", args=[lesson.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("scheduling:lessons_generate", args=[section.pk])).status_code == 404
    assert "少儿创意美术" not in client.get(reverse("scheduling:section_list")).content.decode()


def test_given_bureau_when_opening_pages_then_reads_but_cannot_write(sched: Sched, login: Any) -> None:
    section = sched.create()
    client = login(sched.world.users["bureau_a"])
    response = client.get(reverse("scheduling:section_detail", args=[section.pk]))
    assert response.status_code == 200 and "少儿创意美术" in response.content.decode()
    assert client.get(reverse("scheduling:section_edit", args=[section.pk])).status_code == 403
    assert client.post(reverse("scheduling:section_delete", args=[section.pk])).status_code == 403
    assert (
        login(sched.world.users["bureau_b"]).get(reverse("scheduling:section_detail", args=[section.pk])).status_code
        == 404
    )


# --- API ---------------------------------------------------------------------------------------------------


def _payload(sched: Sched, **overrides: Any) -> dict[str, Any]:
    payload = {
        "term_id": sched.term.pk, "course_id": sched.course.pk, "name": "API课班", "mode": "walking", "fee_fen": 20000,
        "grade_ids": [sched.grade.pk], "starts_on": "2026-09-07", "ends_on": "2026-10-31", "venue_id": sched.venue.pk,
        "teacher_ids": [sched.teacher.pk], "slots": [{"weekday": 3, "starts_at": "15:40", "ends_at": "16:40"}],
    }  # fmt: skip
    payload.update(overrides)
    return payload


def test_given_api_when_creating_generating_and_operating_then_works(sched: Sched, login: Any) -> None:
    client = login(sched.world.users["school_a"])
    response = client.post(f"{API}/sections", _payload(sched), content_type="application/json")
    assert response.status_code == 201, response.content
    section_id = response.json()["id"]
    assert response.json()["slots"][0]["weekday"] == 3
    lessons = client.post(f"{API}/sections/{section_id}/generate-lessons").json()
    assert len(lessons) == 8 and lessons[0]["chapter_title"] == "第1章"
    assert (
        client.post(f"{API}/sections/{section_id}/status", {"status": "open"}, content_type="application/json").json()[
            "status"
        ]
        == "open"
    )
    listed = client.get(
        f"{API}/lessons", {"section": section_id, "date_from": "2026-09-10", "date_to": "2026-09-30"}
    ).json()
    assert listed["count"] == 3
    lesson_id = lessons[1]["id"]
    moved = client.post(
        f"{API}/lessons/{lesson_id}/move",
        {"date": "2026-09-18", "starts_at": "15:40", "ends_at": "16:40"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["moved_from_date"] == "2026-09-16"
    cancelled = client.post(
        f"{API}/lessons/{lessons[2]['id']}/cancel",
        {"reason": "停电", "makeup": {"date": "2026-09-25", "starts_at": "15:40", "ends_at": "16:40"}},
        content_type="application/json",
    )
    assert cancelled.status_code == 200 and cancelled.json()["makeup"]["is_makeup"] is True
    sub = client.post(
        f"{API}/lessons/{lessons[3]['id']}/substitute",
        {"old_teacher_id": sched.teacher.pk, "new_teacher_id": sched.teacher_2.pk},
        content_type="application/json",
    )
    assert sub.status_code == 200 and sub.json()["teacher_ids"] == [sched.teacher_2.pk]
    history = client.get(f"{API}/sections/{section_id}/history").json()
    assert {
        "created",
        "lessons_generated",
        "status",
        "lesson_moved",
        "lesson_cancelled",
        "lesson_makeup",
        "substitute",
    } <= {e["kind"] for e in history}
    preview = client.get(f"{API}/sections/{section_id}/conflicts").json()
    assert preview == {"conflicts": [], "warnings": []}
    bad = client.post(f"{API}/sections/{section_id}/status", {"status": "cancelled"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def test_given_api_conflict_when_creating_then_409_with_messages(sched: Sched, login: Any) -> None:
    client = login(sched.world.users["school_a"])
    assert client.post(f"{API}/sections", _payload(sched), content_type="application/json").status_code == 201
    response = client.post(
        f"{API}/sections",
        _payload(sched, name="另一个", teacher_ids=[sched.teacher_2.pk]),
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "schedule_conflict"
    assert "场地“美术教室”在 2026-09-09 15:40–16:40 已有课班“API课班”" in body["detail"]["conflicts"]


def test_given_other_school_or_bureau_when_using_api_then_404_or_403(sched: Sched, login: Any) -> None:
    section = sched.create()
    lesson = lesson_services.lessons_generate(actor=sched.world.actor("school_a"), section=section)[0]
    other = login(sched.world.users["school_a2"])
    assert other.get(f"{API}/sections/{section.pk}").status_code == 404
    assert (
        other.patch(f"{API}/sections/{section.pk}", {"name": "x"}, content_type="application/json").status_code == 404
    )
    assert other.get(f"{API}/lessons/{lesson.pk}").status_code == 404
    assert (
        other.post(f"{API}/lessons/{lesson.pk}/cancel", {"reason": "x"}, content_type="application/json").status_code
        == 404
    )
    assert other.get(f"{API}/sections").json()["count"] == 0
    bureau = login(sched.world.users["bureau_a"])
    assert bureau.get(f"{API}/sections/{section.pk}").status_code == 200
    assert (
        bureau.patch(f"{API}/sections/{section.pk}", {"name": "x"}, content_type="application/json").status_code == 403
    )
    assert bureau.delete(f"{API}/sections/{section.pk}").status_code == 403
    assert login(sched.world.users["bureau_b"]).get(f"{API}/sections/{section.pk}").status_code == 404


def test_given_bad_api_input_when_creating_then_422_not_500(sched: Sched, login: Any) -> None:
    client = login(sched.world.users["school_a"])
    for payload in (
        _payload(sched, fee_fen=-5),
        _payload(sched, slots=[{"weekday": 9, "starts_at": "15:40", "ends_at": "16:40"}]),
        _payload(sched, slots=[{"weekday": 2, "starts_at": "16:40", "ends_at": "15:40"}]),
        _payload(sched, venue_id=2**62),
        _payload(sched, teacher_ids=[2**62]),
    ):
        response = client.post(f"{API}/sections", payload, content_type="application/json")
        assert response.status_code == 422, (payload, response.content)
