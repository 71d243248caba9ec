"""School-side enrolment: rules, refusals, history, audit, notifications, access, API, pages, concurrency."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.enrollment import selectors, services
from afterschool.enrollment.models import Enrollment
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.enrollment.tests.factories_enrollment import make_setup, sibling_section, student_with_guardian
from afterschool.notifications.models import Notification
from afterschool.scheduling.models import SectionEvent
from afterschool.scheduling.tests.factories import LessonFactory, SectionSlotFactory
from afterschool.schools.tests.factories import GradeFactory, SchoolClassFactory

pytestmark = pytest.mark.django_db


def _enrol(world: Any, setup: Any, student: Any, key: str = "school_a") -> Enrollment:
    return services.enrollment_create(actor=world.actor(key), section=setup.section, student=student)


# --- single enrolment -----------------------------------------------------------------------------------------


def test_given_eligible_student_when_enrolled_then_active_with_event_audit_and_guardian_notified(world: Any) -> None:
    setup = make_setup(world.school_a)
    student = setup.students[0]
    enrollment = _enrol(world, setup, student)
    assert enrollment.status == "active" and enrollment.source == "school"
    event = SectionEvent.objects.get(section=setup.section, kind="enrolled")
    assert event.detail["students"][0]["id"] == student.pk
    assert AuditEvent.objects.filter(object_type__icontains="enrollment", object_id=str(enrollment.pk)).exists()
    guardian_user = student.guardians.get().user
    assert Notification.objects.filter(recipient=guardian_user, kind="enrollment").count() == 1


@pytest.mark.parametrize("status", ["finished", "cancelled"])
def test_given_closed_section_when_enrolling_then_refused(world: Any, status: str) -> None:
    setup = make_setup(world.school_a, status=status)
    with pytest.raises(Conflict) as exc:
        _enrol(world, setup, setup.students[0])
    assert exc.value.code == "section_closed"


@pytest.mark.parametrize("status", ["draft", "open", "running"])
def test_given_placeable_section_when_enrolling_then_accepted(world: Any, status: str) -> None:
    setup = make_setup(world.school_a, status=status)
    assert _enrol(world, setup, setup.students[0]).status == "active"


def test_given_student_of_other_grade_when_enrolling_then_refused(world: Any) -> None:
    setup = make_setup(world.school_a)
    other_grade = GradeFactory(school=world.school_a, level=5, name="五年级")
    student = student_with_guardian(SchoolClassFactory(grade=other_grade))
    with pytest.raises(ValidationFailed) as exc:
        _enrol(world, setup, student)
    assert "年级" in exc.value.message


def test_given_class_section_when_student_of_another_class_then_refused(world: Any) -> None:
    setup = make_setup(world.school_a, mode="class", classes=1)
    outsider = student_with_guardian(SchoolClassFactory(grade=setup.grade, name="9班"))
    with pytest.raises(ValidationFailed) as exc:
        _enrol(world, setup, outsider)
    assert "班级" in exc.value.message
    assert _enrol(world, setup, setup.students[0]).status == "active"


def test_given_full_section_when_enrolling_then_refused_naming_numbers(world: Any) -> None:
    setup = make_setup(world.school_a, max_students=2, classes=1, per_class=3)
    _enrol(world, setup, setup.students[0])
    _enrol(world, setup, setup.students[1])
    with pytest.raises(Conflict) as exc:
        _enrol(world, setup, setup.students[2])
    assert exc.value.code == "section_full"
    assert "最多 2 人" in exc.value.message and "已有 2 人" in exc.value.message


def test_given_already_enrolled_when_enrolling_again_then_refused(world: Any) -> None:
    setup = make_setup(world.school_a)
    _enrol(world, setup, setup.students[0])
    with pytest.raises(ValidationFailed) as exc:
        _enrol(world, setup, setup.students[0])
    assert "已在课班" in exc.value.message


def test_given_duplicate_insert_race_when_constraint_fires_then_clear_conflict(world: Any) -> None:
    setup = make_setup(world.school_a)
    EnrollmentFactory(section=setup.section, student=setup.students[0])
    with pytest.raises(Conflict) as exc:
        services.create_active(
            actor=world.actor("school_a"), section=setup.section, student=setup.students[0], source="school"
        )
    assert exc.value.code == "already_enrolled"


def test_given_student_of_another_school_when_enrolling_then_refused(world: Any) -> None:
    setup = make_setup(world.school_a)
    foreign = make_setup(world.school_a2).students[0]
    with pytest.raises(ValidationFailed):
        services.enrollment_create(actor=world.actor("system"), section=setup.section, student=foreign)


# --- time conflicts ---------------------------------------------------------------------------------------------


def test_given_overlapping_weekly_slots_when_enrolling_then_refused_with_message(world: Any) -> None:
    setup = make_setup(world.school_a)
    other = sibling_section(setup, name="围棋")
    SectionSlotFactory(section=other, weekday=2, starts_at=dt.time(16, 0), ends_at=dt.time(17, 0))
    EnrollmentFactory(section=other, student=setup.students[0])
    messages = services.student_time_conflicts(student=setup.students[0], section=setup.section)
    assert len(messages) == 1 and "围棋" in messages[0] and "每周二" in messages[0]
    with pytest.raises(ValidationFailed) as exc:
        _enrol(world, setup, setup.students[0])
    assert "时间冲突" in exc.value.message


def test_given_same_slot_but_disjoint_dates_then_no_conflict(world: Any) -> None:
    setup = make_setup(world.school_a)
    other = sibling_section(setup, starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 6, 1))
    SectionSlotFactory(section=other, weekday=2)
    EnrollmentFactory(section=other, student=setup.students[0])
    assert services.student_time_conflicts(student=setup.students[0], section=setup.section) == []


def test_given_other_weekday_then_no_conflict(world: Any) -> None:
    setup = make_setup(world.school_a)
    other = sibling_section(setup)
    SectionSlotFactory(section=other, weekday=3)
    EnrollmentFactory(section=other, student=setup.students[0])
    assert services.student_time_conflicts(student=setup.students[0], section=setup.section) == []


def test_given_both_have_lessons_then_lessons_compared_by_date_and_time(world: Any) -> None:
    setup = make_setup(world.school_a)
    other = sibling_section(setup, name="书法")
    LessonFactory(section=setup.section, date=dt.date(2026, 9, 8), starts_at=dt.time(15, 40), ends_at=dt.time(16, 40))
    LessonFactory(section=other, date=dt.date(2026, 9, 9), starts_at=dt.time(15, 40), ends_at=dt.time(16, 40))
    EnrollmentFactory(section=other, student=setup.students[0])
    assert services.student_time_conflicts(student=setup.students[0], section=setup.section) == []
    LessonFactory(section=other, date=dt.date(2026, 9, 8), starts_at=dt.time(16, 30), ends_at=dt.time(17, 0))
    messages = services.student_time_conflicts(student=setup.students[0], section=setup.section)
    assert len(messages) == 1 and "2026-09-08" in messages[0] and "书法" in messages[0]


def test_given_lessons_against_slots_then_compared_by_weekday(world: Any) -> None:
    setup = make_setup(world.school_a)  # Tuesday slot, no lessons
    other = sibling_section(setup)
    LessonFactory(section=other, date=dt.date(2026, 9, 15), starts_at=dt.time(16, 0), ends_at=dt.time(17, 0))  # Tue
    EnrollmentFactory(section=other, student=setup.students[0])
    assert len(services.student_time_conflicts(student=setup.students[0], section=setup.section)) == 1


def test_given_conflicting_enrolment_ended_then_no_conflict(world: Any) -> None:
    setup = make_setup(world.school_a)
    other = sibling_section(setup)
    SectionSlotFactory(section=other, weekday=2)
    EnrollmentFactory(section=other, student=setup.students[0], status="removed")
    assert services.student_time_conflicts(student=setup.students[0], section=setup.section) == []


# --- batch ------------------------------------------------------------------------------------------------------


def test_given_class_batch_when_some_refused_then_rest_enrolled_and_reasons_reported(world: Any) -> None:
    setup = make_setup(world.school_a, max_students=2, classes=1, per_class=3)
    result = services.enrollment_batch_create(
        actor=world.actor("school_a"), section=setup.section, school_class=setup.classes[0]
    )
    assert len(result.enrolled) == 2
    assert len(result.refused) == 1 and "已满" in result.refused[0][1]
    event = SectionEvent.objects.get(section=setup.section, kind="enrolled")
    assert event.detail["batch"] is True and len(event.detail["students"]) == 2


def test_given_class_section_when_batch_all_classes_then_all_students_of_its_classes(world: Any) -> None:
    setup = make_setup(world.school_a, mode="class", classes=2, per_class=2)
    student_with_guardian(SchoolClassFactory(grade=setup.grade, name="9班"))  # not one of the section's classes
    result = services.enrollment_batch_create(actor=world.actor("school_a"), section=setup.section, all_classes=True)
    assert {e.student_id for e in result.enrolled} == {s.pk for s in setup.students}
    assert result.refused == []


def test_given_walking_section_when_batch_all_classes_then_refused(world: Any) -> None:
    setup = make_setup(world.school_a)
    with pytest.raises(ValidationFailed):
        services.enrollment_batch_create(actor=world.actor("school_a"), section=setup.section, all_classes=True)


def test_given_batch_list_with_enrolled_student_then_reported(world: Any) -> None:
    setup = make_setup(world.school_a)
    _enrol(world, setup, setup.students[0])
    result = services.enrollment_batch_create(
        actor=world.actor("school_a"), section=setup.section, students=setup.students[:2]
    )
    assert [s.pk for s, _ in result.refused] == [setup.students[0].pk]
    assert [e.student_id for e in result.enrolled] == [setup.students[1].pk]


# --- remove -----------------------------------------------------------------------------------------------------


def test_given_active_enrolment_when_removed_with_reason_then_removed_event_audit_notice(world: Any) -> None:
    setup = make_setup(world.school_a)
    enrollment = _enrol(world, setup, setup.students[0])
    Notification.objects.all().delete()
    services.enrollment_remove(actor=world.actor("school_a"), enrollment=enrollment, reason="家长申请")
    enrollment.refresh_from_db()
    assert enrollment.status == "removed" and enrollment.end_reason == "家长申请" and enrollment.ended_at
    assert SectionEvent.objects.filter(section=setup.section, kind="removed", detail__reason="家长申请").exists()
    assert AuditEvent.objects.filter(object_id=str(enrollment.pk), event="update").exists()
    assert Notification.objects.count() == 1
    # a removed student may be enrolled again (the constraint concerns active rows only)
    assert _enrol(world, setup, setup.students[0]).status == "active"


def test_given_no_reason_when_removing_then_refused(world: Any) -> None:
    setup = make_setup(world.school_a)
    enrollment = _enrol(world, setup, setup.students[0])
    with pytest.raises(ValidationFailed):
        services.enrollment_remove(actor=world.actor("school_a"), enrollment=enrollment, reason="  ")


def test_given_removed_enrolment_when_removed_again_then_refused(world: Any) -> None:
    setup = make_setup(world.school_a)
    enrollment = _enrol(world, setup, setup.students[0])
    services.enrollment_remove(actor=world.actor("school_a"), enrollment=enrollment, reason="x")
    with pytest.raises(Conflict):
        services.enrollment_remove(actor=world.actor("school_a"), enrollment=enrollment, reason="x")


# --- access -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["teacher_a", "parent", "org_a", "bureau_a", "student"])
def test_given_non_school_admin_when_enrolling_then_permission_denied(world: Any, key: str) -> None:
    setup = make_setup(world.school_a)
    with pytest.raises(PermissionDenied):
        _enrol(world, setup, setup.students[0], key=key)


def test_given_other_school_admin_then_section_and_student_are_404(world: Any) -> None:
    setup = make_setup(world.school_a)
    actor = world.actor("school_a2")
    with pytest.raises(NotFound):
        selectors.section_get(actor=actor, section_id=setup.section.pk)
    with pytest.raises(NotFound):
        selectors.student_get(actor=actor, student_id=setup.students[0].pk)


# --- API --------------------------------------------------------------------------------------------------------

API = "/api/v1/enrollment"


def test_api_enrol_list_and_remove(world: Any, login: Any) -> None:
    setup = make_setup(world.school_a)
    client = login(world.users["school_a"])
    r = client.post(f"{API}/enrollments", {"section": setup.section.pk, "student": setup.students[0].pk},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    enrollment_id = r.json()["id"]
    r = client.get(f"{API}/enrollments", {"section": setup.section.pk, "status": "active"})
    assert r.status_code == 200 and r.json()["count"] == 1
    assert r.json()["items"][0]["student_number"] == setup.students[0].student_number
    r = client.post(f"{API}/enrollments/{enrollment_id}/remove", {"reason": "转学"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "removed"
    r = client.post(f"{API}/enrollments/{enrollment_id}/remove", {"reason": ""}, content_type="application/json")
    assert r.status_code == 422


def test_api_batch_reports_refusals(world: Any, login: Any) -> None:
    setup = make_setup(world.school_a, max_students=1, classes=1, per_class=2)
    client = login(world.users["school_a"])
    r = client.post(f"{API}/enrollments/batch", {"section": setup.section.pk, "school_class": setup.classes[0].pk},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 200, r.content
    body = r.json()
    assert len(body["enrolled"]) == 1 and len(body["refused"]) == 1 and "已满" in body["refused"][0]["reason"]
    r = client.post(f"{API}/enrollments/batch", {"section": setup.section.pk}, content_type="application/json")
    assert r.status_code == 422


def test_api_full_section_answers_409(world: Any, login: Any) -> None:
    setup = make_setup(world.school_a, max_students=1)
    client = login(world.users["school_a"])
    for student, status in ((setup.students[0], 201), (setup.students[1], 409)):
        r = client.post(f"{API}/enrollments", {"section": setup.section.pk, "student": student.pk},
                        content_type="application/json")  # fmt: skip
        assert r.status_code == status


def test_api_cross_school_is_404_and_lists_nothing(world: Any, login: Any) -> None:
    setup = make_setup(world.school_a)
    enrollment = _enrol(world, setup, setup.students[0])
    other = make_setup(world.school_a2)
    client = login(world.users["school_a2"])
    r = client.post(f"{API}/enrollments", {"section": setup.section.pk, "student": other.students[0].pk},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    # own section, a student of another school
    r = client.post(f"{API}/enrollments", {"section": other.section.pk, "student": setup.students[1].pk},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    r = client.post(f"{API}/enrollments/{enrollment.pk}/remove", {"reason": "x"}, content_type="application/json")
    assert r.status_code == 404
    assert client.get(f"{API}/enrollments").json()["count"] == 0


@pytest.mark.parametrize("key", ["teacher_a", "parent", "org_a"])
def test_api_other_roles_cannot_enrol(world: Any, login: Any, key: str) -> None:
    setup = make_setup(world.school_a)
    client = login(world.users[key])
    r = client.post(f"{API}/enrollments", {"section": setup.section.pk, "student": setup.students[0].pk},
                    content_type="application/json")  # fmt: skip
    assert r.status_code in (403, 404)
    assert not Enrollment.objects.exists()


def test_api_bad_input_is_422(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    r = client.post(f"{API}/enrollments", {"section": 2**63, "student": 0}, content_type="application/json")
    assert r.status_code == 422
    assert client.get(f"{API}/enrollments", {"status": "nonsense"}).status_code == 422


# --- pages ------------------------------------------------------------------------------------------------------


def test_page_lists_students_and_adds_one_and_a_class(world: Any, login: Any) -> None:
    setup = make_setup(world.school_a, classes=2, per_class=2)
    client = login(world.users["school_a"])
    url = reverse("enrollment:section_students", args=[setup.section.pk])
    r = client.get(url)
    assert r.status_code == 200 and "学生名单" in r.content.decode()
    r = client.post(reverse("enrollment:section_enrol", args=[setup.section.pk]), {"student": setup.students[0].pk})
    assert r.status_code == 302
    r = client.post(reverse("enrollment:section_enrol_batch", args=[setup.section.pk]),
                    {"school_class": setup.classes[1].pk})  # fmt: skip
    assert r.status_code == 200 and "已加入 2 人" in r.content.decode()
    r = client.get(url, {"q": setup.students[0].student_number})
    assert setup.students[0].name in r.content.decode()
    r = client.get(url, {"export": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    assert AuditEvent.objects.filter(event="export").exists()


def test_page_batch_form_requires_one_choice(world: Any, login: Any) -> None:
    setup = make_setup(world.school_a)
    client = login(world.users["school_a"])
    r = client.post(reverse("enrollment:section_enrol_batch", args=[setup.section.pk]), {}, follow=True)
    assert "二选一" in r.content.decode()
    assert not Enrollment.objects.exists()


def test_page_remove_needs_confirmation_and_reason(world: Any, login: Any) -> None:
    setup = make_setup(world.school_a)
    enrollment = _enrol(world, setup, setup.students[0])
    client = login(world.users["school_a"])
    url = reverse("enrollment:enrollment_remove", args=[enrollment.pk])
    assert client.get(url).status_code == 200
    r = client.post(url, {"reason": ""})
    assert r.status_code == 422 and "请填写原因" in r.content.decode()
    assert client.post(url, {"reason": "转学"}).status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == "removed"


def test_pages_cross_school_404_and_other_roles_403(world: Any, login: Any) -> None:
    setup = make_setup(world.school_a)
    enrollment = _enrol(world, setup, setup.students[1])
    url = reverse("enrollment:section_students", args=[setup.section.pk])
    other = login(world.users["school_a2"])
    assert other.get(url).status_code == 404
    assert other.post(reverse("enrollment:section_enrol", args=[setup.section.pk]),
                      {"student": setup.students[0].pk}).status_code == 404  # fmt: skip
    assert other.get(reverse("enrollment:enrollment_remove", args=[enrollment.pk])).status_code == 404
    teacher = login(world.users["teacher_a"])
    assert teacher.get(url).status_code == 403
    r = teacher.post(reverse("enrollment:section_enrol", args=[setup.section.pk]), {"student": setup.students[0].pk})
    assert r.status_code == 403
    assert login(world.users["parent"]).get(url).status_code == 404
    assert Enrollment.objects.count() == 1


# --- concurrency ------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_20_threads_enrolling_into_10_seats_then_exactly_10_active(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    setup = make_setup(world.school_a, max_students=10, classes=2, per_class=10)
    actor = world.actor("school_a")
    barrier = threading.Barrier(20)
    results: list[str] = []

    def worker(student: Any) -> None:
        try:
            barrier.wait()
            services.enrollment_create(actor=actor, section=setup.section, student=student)
            results.append("ok")
        except Conflict:
            results.append("full")
        except BaseException as exc:  # pragma: no cover - shown in the assertion
            results.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(s,)) for s in setup.students]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["full"] * 10 + ["ok"] * 10
    assert Enrollment.objects.filter(section=setup.section, status="active").count() == 10
