"""Conflicts (排课冲突): teacher busy (across schools), venue busy, 原班 class busy — against lessons and against
projected weekly slots of sections without lessons; cancelled items ignored; and two admins saving at once cannot
double-book a venue (PostgreSQL, two threads)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections

from afterschool.accounts.tests.factories import UserFactory
from afterschool.core.errors import Conflict
from afterschool.courses.tests.factories import DispatchFactory, OrgTeacherFactory
from afterschool.scheduling.choices import SectionStatus
from afterschool.scheduling.models import Section, SectionSlot
from afterschool.scheduling.services import lessons as lesson_services
from afterschool.scheduling.services.conflicts import find_conflicts
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory
from afterschool.schools.tests.factories import VenueFactory

from .factories_sections import Sched, make_sched, start


@pytest.fixture
def sched(world: Any, monkeypatch: Any) -> Sched:
    return start(world, monkeypatch)


D = dt.date
T = dt.time


def test_given_venue_with_lessons_when_another_section_overlaps_then_409_names_venue(sched: Sched) -> None:
    first = sched.create()
    lesson_services.lessons_generate(actor=sched.world.actor("school_a"), section=first)
    with pytest.raises(Conflict) as exc:
        sched.create(
            name="合唱",
            teachers=[sched.teacher_2],
            slots=[{"weekday": 2, "starts_at": T(16, 30), "ends_at": T(17, 30)}],
        )
    assert exc.value.status == 409
    assert exc.value.detail["conflicts"][0] == "场地“美术教室”在 2026-09-08 15:40–16:40 已有课班“少儿创意美术”"
    assert "场地“美术教室”" in exc.value.message


def test_given_back_to_back_slots_when_creating_then_no_conflict(sched: Sched) -> None:
    sched.create()
    second = sched.create(name="合唱", slots=[{"weekday": 2, "starts_at": T(16, 40), "ends_at": T(17, 40)}])
    assert second.pk


def test_given_section_without_lessons_when_overlapping_teacher_then_projected_slots_conflict(sched: Sched) -> None:
    sched.create()  # slots only, no lessons yet
    other_venue = VenueFactory(school=sched.school, name="音乐教室")
    with pytest.raises(Conflict) as exc:
        sched.create(name="合唱", venue=other_venue, slots=[{"weekday": 2, "starts_at": T(16, 0), "ends_at": T(17, 0)}])
    assert (
        "教师“王老师”在 2026-09-08 15:40–16:40 已有课班“少儿创意美术”（海淀实验小学）" in exc.value.detail["conflicts"]
    )


def test_given_org_teacher_teaching_at_another_school_when_overlapping_then_refused(sched: Sched) -> None:
    user = UserFactory(display_name="赵老师")
    teacher = OrgTeacherFactory(organization=sched.world.org_a, user=user)
    DispatchFactory(teacher=teacher, school=sched.school)
    elsewhere = SectionFactory(school=sched.world.school_a2, name="机器人社团")
    LessonFactory(section=elsewhere, date=D(2026, 9, 15), starts_at=T(15, 0), ends_at=T(16, 0), teachers=[user])
    with pytest.raises(Conflict) as exc:
        sched.create(teachers=[user])
    assert exc.value.detail["conflicts"] == ["教师“赵老师”在 2026-09-15 15:00–16:00 已有课班“机器人社团”（海淀二小）"]


def test_given_class_section_when_same_class_overlaps_then_refused_other_class_allowed(sched: Sched) -> None:
    sched.create(mode="class", classes=[sched.class_1], venue=None)
    with pytest.raises(Conflict) as exc:
        sched.create(name="阅读", mode="class", classes=[sched.class_1], teachers=[sched.teacher_2], venue=None)
    assert exc.value.detail["conflicts"][0] == "班级“三年级1班”在 2026-09-08 15:40–16:40 已有课后服务课班“少儿创意美术”"
    assert sched.create(name="阅读", mode="class", classes=[sched.class_2], teachers=[sched.teacher_2], venue=None).pk


def test_given_cancelled_section_or_lesson_when_checking_then_ignored(sched: Sched) -> None:
    first = sched.create()
    lessons = lesson_services.lessons_generate(actor=sched.world.actor("school_a"), section=first)
    lesson_services.lesson_cancel(actor=sched.world.actor("school_a"), lesson=lessons[0], reason="停电")
    found = find_conflicts(
        school=sched.school,
        occurrences=[(D(2026, 9, 8), T(15, 40), T(16, 40)), (D(2026, 9, 15), T(15, 40), T(16, 40))],
        teacher_ids=[],
        venue_id=sched.venue.pk,
        class_ids=[],
    )
    assert (
        [c.date for c in found] == [D(2026, 9, 15)] and found[0].kind == "venue" and found[0].lesson_id == lessons[1].pk
    )
    Section.objects.filter(pk=first.pk).update(status=SectionStatus.CANCELLED)
    assert sched.create(name="合唱", teachers=[sched.teacher_2]).pk


def test_given_moved_lesson_when_target_busy_then_409_and_substitution_checked(sched: Sched) -> None:
    first = sched.create()
    music = VenueFactory(school=sched.school, name="音乐教室")
    thursday = [{"weekday": 4, "starts_at": T(15, 40), "ends_at": T(16, 40)}]
    second = sched.create(name="合唱", teachers=[sched.teacher_2], venue=music, slots=thursday)
    actor = sched.world.actor("school_a")
    lessons = lesson_services.lessons_generate(actor=actor, section=first)
    lesson_services.lessons_generate(actor=actor, section=second)
    with pytest.raises(Conflict) as exc:  # teacher_2 teaches 合唱 on Thursdays
        lesson_services.lesson_move(
            actor=actor,
            lesson=lessons[0],
            date=D(2026, 9, 10),
            starts_at=T(16, 0),
            ends_at=T(17, 0),
            venue=second.venue,
        )
    assert "场地“音乐教室”在 2026-09-10 15:40–16:40 已有课班“合唱”" in exc.value.detail["conflicts"]


def test_given_own_next_lesson_when_moving_onto_it_then_conflict(sched: Sched) -> None:
    first = sched.create()
    lessons = lesson_services.lessons_generate(actor=sched.world.actor("school_a"), section=first)
    with pytest.raises(Conflict):
        lesson_services.lesson_move(
            actor=sched.world.actor("school_a"),
            lesson=lessons[0],
            date=lessons[1].date,
            starts_at=T(15, 40),
            ends_at=T(16, 40),
        )


def test_given_update_to_busy_slot_when_saving_then_refused_and_unchanged(sched: Sched) -> None:
    sched.create()
    second = sched.create(name="合唱", slots=[{"weekday": 3, "starts_at": T(15, 40), "ends_at": T(16, 40)}])
    from afterschool.scheduling.services import sections as services

    with pytest.raises(Conflict):
        services.section_update(
            actor=sched.world.actor("school_a"),
            section=second,
            data={"slots": [{"weekday": 2, "starts_at": T(15, 0), "ends_at": T(16, 0)}]},
        )
    assert list(SectionSlot.objects.filter(section=second).values_list("weekday", flat=True)) == [3]


# --- the race ---------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_admins_saving_at_once_when_same_venue_and_time_then_only_one_succeeds(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    setup = make_sched(world)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker(name: str, teacher: Any) -> None:
        try:
            barrier.wait()
            setup.create(name=name, teachers=[teacher])
            results.append("ok")
        except Conflict:
            results.append("conflict")
        except BaseException as exc:  # pragma: no cover - shown in the assertion
            results.append(repr(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=("甲班", setup.teacher)),
        threading.Thread(target=worker, args=("乙班", setup.teacher_2)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    assert Section.objects.filter(venue=setup.venue).count() == 1
