"""Automatic scheduling (排课): the per-section inputs, building a solver instance from the database, runs
(SchedulingRun) and applying a proposal in one step. The solving itself is `scheduling/solver.py` (CP-SAT).

Availability of a teacher (hard): (a) dispatch — `teacher_may_teach` for the section's dates and course
category must pass, else the run fails before solving, naming the teacher; (b) busy times — weekly slots of the
teacher's OTHER live sections (any school, overlapping dates) and the teacher's scheduled lessons of sections
outside this run within the section's dates make every overlapping slot unavailable; (c) the regular class
timetable is not a constraint (after-school time). Venues below max_students are dropped from the candidates
with a warning. Soft weights: see solver.W_* (teacher same weekday 3, same grade+category same time 2,
not preferred 1). The run solves synchronously with RUN_TIME_LIMIT_S.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import AppError, Conflict, PermissionDenied, ValidationFailed
from afterschool.courses.services.dispatch import teacher_may_teach
from afterschool.schools.models import Term, Venue
from afterschool.tenancy.actor import Actor

from .. import solver
from ..choices import LessonStatus, SchedulingRunStatus, SectionEventKind, SectionMode, SectionStatus
from ..models import Lesson, SchedulingRun, Section, SectionEvent, SectionSlot, TimeSlot
from ..selectors import autoschedule as selectors

RUN_TIME_LIMIT_S = 20.0
RUN_WORKERS = 2
EDITABLE = (SectionStatus.DRAFT, SectionStatus.OPEN)
LIVE = (SectionStatus.DRAFT, SectionStatus.OPEN, SectionStatus.RUNNING)


def require_scheduler(actor: Actor) -> None:
    if not actor.is_system_admin and not actor.has_role(Role.SCHOOL_ADMIN):
        raise PermissionDenied("只有学校管理员可以自动排课")


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


# --- inputs ---------------------------------------------------------------------------------------------------
@transaction.atomic
def section_schedule_inputs_update(*, actor: Actor, section: Section, data: dict[str, Any]) -> Section:
    """Set sessions_per_week, allowed_slots, preferred_slots (⊆ allowed) and candidate_venues of a draft/open
    section; slots and venues must be the section's school's."""
    require_scheduler(actor)
    section = selectors.schedulable_section_get(actor=actor, section_id=section.pk, lock=True)
    if section.status not in EDITABLE:
        raise Conflict("section_not_editable", f"课班状态为“{section.get_status_display()}”，不能修改排课条件")
    errors: dict[str, list[str]] = {}
    sessions = data.get("sessions_per_week", section.sessions_per_week)
    if not isinstance(sessions, int) or not 1 <= sessions <= 7:
        errors["sessions_per_week"] = ["每周次数须为 1–7"]
    allowed = list(data.get("allowed_slots", section.allowed_slots.all()))
    preferred = list(data.get("preferred_slots", section.preferred_slots.all()))
    venues = list(data.get("candidate_venues", section.candidate_venues.all()))
    for name, items in (("allowed_slots", allowed), ("preferred_slots", preferred)):
        if any(not isinstance(t, TimeSlot) or t.school_id != section.school_id for t in items):
            errors[name] = ["只能选择本校的课后服务时段"]
    if any(not isinstance(v, Venue) or v.school_id != section.school_id for v in venues):
        errors["candidate_venues"] = ["只能选择本校的场地"]
    if not errors and not {t.pk for t in preferred} <= {t.pk for t in allowed}:
        errors["preferred_slots"] = ["优先时段须在可选时段之内"]
    if errors:
        raise ValidationFailed(errors)
    before = _inputs_of(section)
    section.sessions_per_week = sessions
    section.save(update_fields=["sessions_per_week", "updated_at"])
    section.allowed_slots.set(allowed)
    section.preferred_slots.set(preferred)
    section.candidate_venues.set(venues)
    after = _inputs_of(section)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    SectionEvent.objects.create(
        section=section, kind=SectionEventKind.UPDATED, actor=actor.user, detail={"schedule_inputs": changes}
    )
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=section, detail={"schedule_inputs": changes})
    return section


def _inputs_of(section: Section) -> dict[str, Any]:
    return {
        "sessions_per_week": section.sessions_per_week,
        "allowed_slots": sorted(section.allowed_slots.values_list("pk", flat=True)),
        "preferred_slots": sorted(section.preferred_slots.values_list("pk", flat=True)),
        "candidate_venues": sorted(section.candidate_venues.values_list("pk", flat=True)),
    }


# --- instance -------------------------------------------------------------------------------------------------
class Built:
    def __init__(self) -> None:
        self.instance: solver.Instance | None = None
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.sections: dict[int, Section] = {}
        self.slots: dict[int, TimeSlot] = {}
        self.venues: dict[int, Venue] = {}
        self.teacher_names: dict[int, str] = {}


def _busy_intervals(*, user_id: int, section: Section, exclude: set[int]) -> list[tuple[int, int, int]]:
    """(weekday, start, end) in minutes when the teacher is busy elsewhere during the section's dates."""
    busy: set[tuple[int, int, int]] = set()
    other_slots = SectionSlot.objects.filter(
        section__teacher_links__user_id=user_id, section__status__in=LIVE,
        section__starts_on__lte=section.ends_on, section__ends_on__gte=section.starts_on,
    ).exclude(section_id__in=exclude)  # fmt: skip
    for weekday, starts_at, ends_at in other_slots.values_list("weekday", "starts_at", "ends_at"):
        busy.add((weekday, _minutes(starts_at), _minutes(ends_at)))
    lessons = Lesson.objects.filter(
        teachers__id=user_id, status=LessonStatus.SCHEDULED, date__gte=section.starts_on, date__lte=section.ends_on
    ).exclude(section_id__in=exclude)
    for date, starts_at, ends_at in lessons.values_list("date", "starts_at", "ends_at"):
        busy.add((date.isoweekday(), _minutes(starts_at), _minutes(ends_at)))
    return sorted(busy)


def build_instance(*, school_id: int, term: Term) -> Built:
    """The draft/open sections of the term with ≥ 1 allowed slot, as a solver instance."""
    built = Built()
    qs = (
        Section.objects.filter(school_id=school_id, term=term, status__in=EDITABLE, allowed_slots__isnull=False)
        .distinct()
        .select_related("course")
        .prefetch_related(
            "allowed_slots", "preferred_slots", "candidate_venues", "classes", "grades", "teacher_links__user"
        )
        .order_by("name", "id")
    )  # fmt: skip
    sections = list(qs)
    built.sections = {s.pk: s for s in sections}
    exclude = set(built.sections)
    slot_rows = {t.pk: t for t in TimeSlot.objects.filter(school_id=school_id)}
    built.slots = slot_rows
    slots = [
        solver.Slot(id=t.pk, weekday=t.weekday, start=_minutes(t.starts_at), end=_minutes(t.ends_at), name=str(t))
        for t in slot_rows.values()
    ]
    unavailable: dict[int, set[int]] = defaultdict(set)
    venues: dict[int, Venue] = {}
    solver_sections = []
    class_names: dict[int, str] = {}
    for section in sections:
        teacher_ids = []
        links = list(section.teacher_links.all())
        if not links:
            built.errors.append(f"课班“{section.name}”：没有上课教师")
        for link in links:
            user = link.user
            built.teacher_names[user.pk] = str(user)
            reason = teacher_may_teach(
                school=section.school, user=user, starts_on=section.starts_on, ends_on=section.ends_on,
                category=section.course.category,
            )  # fmt: skip
            if reason is not None:
                built.errors.append(f"课班“{section.name}”：教师{built.teacher_names[user.pk]}不能授课（{reason}）")
            teacher_ids.append(user.pk)
            for weekday, start, end in _busy_intervals(user_id=user.pk, section=section, exclude=exclude):
                for slot in slots:
                    if slot.weekday == weekday and slot.start < end and start < slot.end:
                        unavailable[user.pk].add(slot.id)
        candidates = []
        for venue in section.candidate_venues.all():
            venues[venue.pk] = venue
            if not venue.is_active:
                built.warnings.append(f"课班“{section.name}”：候选场地“{venue.name}”已停用，不参与排课")
            elif venue.capacity < section.max_students:
                built.warnings.append(
                    f"课班“{section.name}”：候选场地“{venue.name}”容量 {venue.capacity} 人，少于最多人数 "
                    f"{section.max_students}，不参与排课"
                )
            else:
                candidates.append(venue.pk)
        classes = []
        if section.mode == SectionMode.CLASS:
            for school_class in section.classes.all():
                classes.append(school_class.pk)
                class_names[school_class.pk] = str(school_class)
        grades = sorted(g.pk for g in section.grades.all())
        solver_sections.append(
            solver.Section(
                id=section.pk, name=section.name, sessions_per_week=section.sessions_per_week,
                allowed_slots=tuple(t.pk for t in section.allowed_slots.all()),
                preferred_slots=tuple(t.pk for t in section.preferred_slots.all()),
                candidate_venues=tuple(candidates), teachers=tuple(teacher_ids), classes=tuple(classes),
                grade=grades[0] if grades else None, category=section.course.category,
                max_students=section.max_students, school=school_id,
            )
        )  # fmt: skip
    built.venues = venues
    built.instance = solver.Instance(
        slots=slots,
        venues=[solver.Venue(id=v.pk, capacity=v.capacity, name=v.name) for v in venues.values()],
        teachers=[
            solver.Teacher(id=p, name=name, unavailable=frozenset(unavailable[p]))
            for p, name in built.teacher_names.items()
        ],
        sections=solver_sections,
        class_names=class_names,
    )
    return built


def _proposal(built: Built, result: solver.Result) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for sid, placement in result.assignment.items():
        section = built.sections[sid]
        venue = built.venues.get(placement.venue) if placement.venue else None
        rows.append({
            "section_id": sid,
            "section": section.name,
            "updated_at": section.updated_at.isoformat(),
            "slots": [
                {"time_slot_id": t, "weekday": built.slots[t].weekday, "label": str(built.slots[t]),
                 "starts_at": f"{built.slots[t].starts_at:%H:%M}", "ends_at": f"{built.slots[t].ends_at:%H:%M}"}
                for t in placement.slots
            ],
            "venue_id": placement.venue,
            "venue": venue.name if venue else "",
            "teachers": [built.teacher_names.get(p, "") for p in dict.fromkeys(
                link.user_id for link in section.teacher_links.all())],
        })  # fmt: skip
    rows.sort(key=lambda r: (r["slots"][0]["weekday"] if r["slots"] else 9, r["section"]))
    return {"sections": rows, "soft": result.soft.as_dict(), "warnings": built.warnings,
            "weights": {"teacher_day": solver.W_TEACHER_DAY, "grade_category": solver.W_GRADE_CATEGORY,
                        "not_preferred": solver.W_NOT_PREFERRED}}  # fmt: skip


# --- runs -----------------------------------------------------------------------------------------------------
def run_create(*, actor: Actor, term: Term, time_limit_s: float = RUN_TIME_LIMIT_S) -> SchedulingRun:
    """Solve the term's draft/open sections (synchronously) and keep the proposal, or the conflicts."""
    require_scheduler(actor)
    term = selectors.term_for_run(actor=actor, term_id=term.pk)
    built = build_instance(school_id=term.school_id, term=term)
    run = SchedulingRun(school_id=term.school_id, term=term, created_by=actor.user)
    assert built.instance is not None
    if not built.sections:
        raise ValidationFailed({"term": ["该学期没有设置了可选时段的草稿或报名中课班"]})
    if built.errors:
        run.status = SchedulingRunStatus.INFEASIBLE
        run.solver_status = "PRECHECK"
        run.conflicts = built.errors
        run.proposal = {"sections": [], "soft": {}, "warnings": built.warnings}
    else:
        result = solver.solve(built.instance, time_limit_s=time_limit_s, workers=RUN_WORKERS)
        run.solver_status = result.status
        run.solve_seconds = round(result.solve_seconds, 3)
        if result.feasible:
            run.status = SchedulingRunStatus.PROPOSED
            run.objective = result.objective
            run.hard_violations = result.hard_violations
            run.proposal = _proposal(built, result)
            run.conflicts = result.violations
        else:
            run.status = SchedulingRunStatus.INFEASIBLE
            run.conflicts = result.conflicts
            run.proposal = {"sections": [], "soft": {}, "warnings": built.warnings}
    with transaction.atomic():
        run.save()
        record_write(
            actor=actor, event=AuditEventType.CREATE, obj=run,
            detail={"status": run.status, "solver_status": run.solver_status, "sections": len(built.sections)},
        )  # fmt: skip
    return run


def run_apply(*, actor: Actor, run: SchedulingRun) -> SchedulingRun:
    """Apply every section's slots and venue in ONE transaction through section_set_schedule. Refused for a run
    not proposed, with hard violations, or stale (a section changed since the run). If one section is refused,
    nothing is applied and the run keeps the error."""
    from .sections import section_set_schedule  # written by the sections helper

    require_scheduler(actor)
    failure: AppError | None = None
    with transaction.atomic():
        run = selectors.run_get(actor=actor, run_id=run.pk, lock=True)
        if run.status != SchedulingRunStatus.PROPOSED:
            raise Conflict("run_not_proposed", f"排课方案状态为“{run.get_status_display()}”，不能应用")
        if run.hard_violations:
            raise Conflict("run_has_violations", "方案存在硬约束冲突，不能应用")
        rows = (run.proposal or {}).get("sections", []) if isinstance(run.proposal, dict) else []
        sections = {s.pk: s for s in Section.objects.select_for_update().filter(pk__in=[r["section_id"] for r in rows])}
        stale = [
            r["section"] for r in rows
            if r["section_id"] not in sections
            or sections[r["section_id"]].updated_at.isoformat() != r["updated_at"]
            or sections[r["section_id"]].status not in EDITABLE
        ]  # fmt: skip
        if stale:
            raise Conflict("run_stale", "方案生成后以下课班已有变动，请重新排课：" + "、".join(stale[:10]))
        slots = {t.pk: t for t in TimeSlot.objects.filter(school_id=run.school_id)}
        venues = {v.pk: v for v in Venue.objects.filter(school_id=run.school_id)}
        try:
            with transaction.atomic():
                # First free the old weekly slots of the run's sections, so that a section moving into a time
                # another section of the run is leaving does not clash with that section's old slots.
                for row in rows:
                    section = sections[row["section_id"]]
                    if section.slots.exists():
                        section_set_schedule(actor=actor, section=section, slots=[], venue=section.venue)
                for row in rows:
                    section = sections[row["section_id"]]
                    weekly = []
                    for item in row["slots"]:
                        slot = slots.get(item["time_slot_id"])
                        if slot is None:
                            raise Conflict("run_stale", f"课班“{section.name}”的时段已被删除，请重新排课")
                        weekly.append({"weekday": slot.weekday, "starts_at": slot.starts_at,
                                       "ends_at": slot.ends_at, "time_slot": slot})  # fmt: skip
                    venue = venues.get(row["venue_id"])
                    if venue is None:
                        raise Conflict("run_stale", f"课班“{section.name}”的场地已被删除，请重新排课")
                    section_set_schedule(actor=actor, section=section, slots=weekly, venue=venue)
                    SectionEvent.objects.create(
                        section=section, kind=SectionEventKind.AUTO_SCHEDULED, actor=actor.user,
                        detail={"run": run.pk, "slots": [i["label"] for i in row["slots"]], "venue": row["venue"]},
                    )  # fmt: skip
                run.status = SchedulingRunStatus.APPLIED
                run.applied_at = timezone.now()
                run.applied_by = actor.user
                run.save(update_fields=["status", "applied_at", "applied_by", "updated_at"])
                record_write(actor=actor, event=AuditEventType.UPDATE, obj=run, detail={"applied": len(rows)})
        except AppError as exc:
            failure = exc
            run.conflicts = [
                *[c for c in run.conflicts or [] if not c.startswith("应用失败")],
                f"应用失败：{exc.message}",
            ]
            run.save(update_fields=["conflicts", "updated_at"])
    if failure is not None:
        raise failure
    return run


@transaction.atomic
def run_discard(*, actor: Actor, run: SchedulingRun) -> SchedulingRun:
    require_scheduler(actor)
    run = selectors.run_get(actor=actor, run_id=run.pk, lock=True)
    if run.status not in (SchedulingRunStatus.PROPOSED, SchedulingRunStatus.INFEASIBLE):
        raise Conflict("run_closed", f"排课方案状态为“{run.get_status_display()}”，不能放弃")
    run.status = SchedulingRunStatus.DISCARDED
    run.save(update_fields=["status", "updated_at"])
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=run, detail={"status": "discarded"})
    return run
