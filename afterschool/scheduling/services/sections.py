"""Sections (课班, §5.2.2): an approved course offered in a term at a school, with fees, capacity, grades (and the
classes of a 原班 section), dates, weekly slots, venue, teachers and a registration window.

Writers: the section's school admins (and system admins). Every write locks the resources it may occupy, checks
conflicts, writes, records a SectionEvent and an audit row. draft → open (needs lessons and a course still
schedulable) → running → finished; cancelling (with its enrolments) belongs to the operations' cancel action.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.urls import reverse

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.models import User
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, ValidationFailed
from afterschool.core.export import build_xlsx
from afterschool.core.services import validation_failed_from
from afterschool.courses.models import Course
from afterschool.courses.selectors.review import course_schedulable
from afterschool.courses.services.catalogue import yuan_to_fen
from afterschool.courses.services.dispatch import teacher_may_teach
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.schools.models import Grade, RegistrationWindow, SchoolClass, Term, Venue
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..choices import LessonStatus, SectionEventKind, SectionMode, SectionStatus
from ..models import Lesson, Section, SectionSlot, SectionTeacher, TimeSlot
from .conflicts import capacity_warning, find_conflicts, lock_resources, raise_if_conflicts, user_label
from .lessons import (
    class_ids_of,
    lesson_dates,
    regenerate,
    require_section_writer,
    section_event,
    section_people,
)

SCALAR_FIELDS = (
    "name",
    "mode",
    "fee_fen",
    "materials_fee_fen",
    "materials_included",
    "min_students",
    "max_students",
    "starts_on",
    "ends_on",
    "venue",
    "registration_window",
)
EDITABLE_STATUSES = (SectionStatus.DRAFT, SectionStatus.OPEN)
MAX_FEE_FEN = 100_000_000  # ¥1,000,000: far above any after-school fee


def fen_from_yuan(value: Any, *, field: str) -> int:
    """Forms take 元 with at most 2 decimals; stored as 分 (the catalogue's rule, reported on our field)."""
    try:
        return yuan_to_fen(value)
    except ValidationFailed as exc:
        messages = [m for ms in (exc.detail or {}).values() for m in ms]
        raise ValidationFailed({field: messages or ["请输入金额（元），最多两位小数"]}) from None


def _pk(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def _resolve(model: type[Model], value: Any, *, field: str, label: str) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    found = (
        model._default_manager.filter(pk=value).first() if str(value).isdigit() and int(str(value)) < 2**62 else None
    )
    if found is None:
        raise ValidationFailed({field: [f"{label}不存在"]})
    return found


def _resolve_many(model: type[Model], values: Any, *, field: str, label: str) -> list[Any]:
    result = []
    for value in values or []:
        obj = _resolve(model, value, field=field, label=label)
        if obj is not None and obj not in result:
            result.append(obj)
    return result


def _normalize_slots(raw: Any, *, school: School) -> list[dict[str, Any]]:
    """Each slot: weekday + start + end, or a school TimeSlot (whose times fill what is not given)."""
    slots: list[dict[str, Any]] = []
    errors: list[str] = []
    for index, item in enumerate(raw or [], start=1):
        data = dict(item) if isinstance(item, dict) else {
            "weekday": item.weekday, "starts_at": item.starts_at, "ends_at": item.ends_at,
            "time_slot": getattr(item, "time_slot", None),
        }  # fmt: skip
        time_slot = _resolve(TimeSlot, data.get("time_slot"), field="slots", label="课后服务时段")
        if time_slot is not None:
            if time_slot.school_id != school.pk:
                errors.append(f"第{index}个上课时间：时段不属于本校")
                continue
            data.setdefault("weekday", time_slot.weekday)
            data["weekday"] = data.get("weekday") or time_slot.weekday
            data["starts_at"] = data.get("starts_at") or time_slot.starts_at
            data["ends_at"] = data.get("ends_at") or time_slot.ends_at
        weekday, starts_at, ends_at = data.get("weekday"), data.get("starts_at"), data.get("ends_at")
        if weekday in (None, "") or starts_at is None or ends_at is None:
            errors.append(f"第{index}个上课时间：请填写星期、开始和结束时间，或选择一个时段")
            continue
        try:
            weekday = int(str(weekday))
        except (TypeError, ValueError):
            weekday = 0
        if not 1 <= weekday <= 7:
            errors.append(f"第{index}个上课时间：星期须是 1–7")
            continue
        if not isinstance(starts_at, dt.time) or not isinstance(ends_at, dt.time) or ends_at <= starts_at:
            errors.append(f"第{index}个上课时间：结束时间须晚于开始时间")
            continue
        slots.append({"weekday": weekday, "starts_at": starts_at, "ends_at": ends_at, "time_slot": time_slot})
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            if a["weekday"] == b["weekday"] and a["starts_at"] < b["ends_at"] and b["starts_at"] < a["ends_at"]:
                day = dict(SectionSlot._meta.get_field("weekday").choices or []).get(a["weekday"], a["weekday"])
                errors.append(
                    f"上课时间重叠：{day} {a['starts_at']:%H:%M}–{a['ends_at']:%H:%M} 与 "
                    f"{b['starts_at']:%H:%M}–{b['ends_at']:%H:%M}"
                )
    if errors:
        raise ValidationFailed({"slots": errors})
    return sorted(slots, key=lambda s: (s["weekday"], s["starts_at"]))


def _school_for_create(actor: Actor, data: dict[str, Any]) -> School:
    if not actor.is_system_admin:
        return School.objects.get(pk=actor.school_id or 0)
    school = _resolve(School, data.get("school"), field="school", label="学校")
    if school is None:
        raise ValidationFailed({"school": ["请选择学校"]})
    return school  # type: ignore[no-any-return]


def _validate(
    section: Section, *, grades: list[Grade], classes: list[SchoolClass], teachers: list[User], check_course: bool
) -> list[Grade]:
    """Field rules of a section; returns the grades to store (those of the classes for a 原班 section)."""
    errors: dict[str, list[str]] = {}
    school, term = section.school, section.term
    if term.school_id != school.pk:
        errors.setdefault("term", []).append("学期不属于本校")
    if check_course:
        reason = course_schedulable(course=section.course, school=school, on=section.starts_on)
        if reason is not None:
            errors.setdefault("course", []).append(reason)
    if section.starts_on and section.ends_on:
        if section.ends_on < section.starts_on:
            errors.setdefault("ends_on", []).append("结课日期不能早于开课日期")
        if section.starts_on < term.starts_on or section.ends_on > term.ends_on:
            errors.setdefault("starts_on", []).append(f"开课、结课日期须在学期内（{term.starts_on} 至 {term.ends_on}）")
    if section.min_students is not None and section.max_students is not None:
        if section.min_students < 1:
            errors.setdefault("min_students", []).append("最少人数至少为 1")
        if section.min_students > section.max_students:
            errors.setdefault("max_students", []).append("最多人数不能少于最少人数")
    for field in ("fee_fen", "materials_fee_fen"):
        value = getattr(section, field)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEE_FEN:
            errors.setdefault(field, []).append("金额须是不小于 0 的整数分")
    if section.venue is not None and section.venue.school_id != school.pk:
        errors.setdefault("venue", []).append("场地不属于本校")
    if section.registration_window is not None and section.registration_window.term_id != term.pk:
        errors.setdefault("registration_window", []).append("报名时段须属于课班所在学期")
    if any(g.school_id != school.pk for g in grades):
        errors.setdefault("grades", []).append("年级不属于本校")
    if any(c.school_id != school.pk for c in classes):
        errors.setdefault("classes", []).append("班级不属于本校")
    if section.mode == SectionMode.CLASS:
        if not classes:
            errors.setdefault("classes", []).append("原班课班至少选择一个班级")
        grades = sorted({c.grade for c in classes}, key=lambda g: (g.level, g.pk))
    elif section.mode == SectionMode.WALKING:
        if not grades:
            errors.setdefault("grades", []).append("走班课班至少选择一个年级")
    else:
        errors.setdefault("mode", []).append("请选择上课形式")
    if not teachers:
        errors.setdefault("teachers", []).append("请至少选择一位上课教师")
    elif section.starts_on and section.ends_on and section.starts_on <= section.ends_on:
        for teacher in teachers:
            reason = teacher_may_teach(
                school=school,
                user=teacher,
                starts_on=section.starts_on,
                ends_on=section.ends_on,
                category=section.course.category,
            )
            if reason is not None:
                errors.setdefault("teachers", []).append(f"“{user_label(teacher)}”不能在本校授课：{reason}")
    if errors:
        raise ValidationFailed(errors)
    try:
        section.full_clean(
            exclude=["grades", "classes", "teachers", "allowed_slots", "preferred_slots", "candidate_venues"]
        )
    except Exception as exc:  # django ValidationError
        from django.core.exceptions import ValidationError

        if isinstance(exc, ValidationError):
            raise validation_failed_from(exc) from None
        raise
    return grades


def check_schedule_conflicts(
    section: Section, *, slots: list[dict[str, Any]], teachers: list[User], classes: list[SchoolClass]
) -> None:
    """Refuse (409, naming each clash) a weekly schedule whose occurrences meet a busy teacher, venue or class.
    Locks those resources first, so it holds under concurrent writers."""
    class_ids = [c.pk for c in classes] if section.mode == SectionMode.CLASS else []
    lock_resources(venue_ids=[section.venue_id], teacher_ids=[t.pk for t in teachers], class_ids=class_ids)
    raise_if_conflicts(
        find_conflicts(
            school=section.school,
            occurrences=lesson_dates(section=section, slots=slots),
            teacher_ids=[t.pk for t in teachers],
            venue_id=section.venue_id,
            class_ids=class_ids,
            exclude_section_id=section.pk,
        )
    )


def _write_slots(section: Section, slots: list[dict[str, Any]]) -> None:
    section.slots.all().delete()
    SectionSlot.objects.bulk_create(
        [
            SectionSlot(
                section=section, weekday=s["weekday"], starts_at=s["starts_at"], ends_at=s["ends_at"],
                time_slot=s.get("time_slot"),
            )
            for s in slots
        ]
    )  # fmt: skip


def _write_teachers(section: Section, teachers: list[User]) -> None:
    section.teacher_links.exclude(user__in=teachers).delete()
    present = set(section.teacher_links.values_list("user_id", flat=True))
    for index, teacher in enumerate(teachers):
        if teacher.pk in present:
            section.teacher_links.filter(user=teacher).update(is_main=index == 0)
        else:
            SectionTeacher.objects.create(section=section, user=teacher, is_main=index == 0)


def _slots_of(section: Section) -> list[dict[str, Any]]:
    return [
        {"weekday": s.weekday, "starts_at": s.starts_at, "ends_at": s.ends_at, "time_slot": s.time_slot}
        for s in section.slots.all()
    ]


def _summary(slots: list[dict[str, Any]]) -> list[str]:
    return [f"{s['weekday']} {s['starts_at']:%H:%M}-{s['ends_at']:%H:%M}" for s in slots]


@transaction.atomic
def section_create(*, actor: Actor, data: dict[str, Any]) -> Section:
    """A new draft section of a course schedulable at the school on its start date; conflict-checked."""
    require_section_writer(actor)
    school = _school_for_create(actor, data)
    term = _resolve(Term, data.get("term"), field="term", label="学期")
    course = _resolve(Course, data.get("course"), field="course", label="课程")
    missing = {f: ["必填"] for f, v in (("term", term), ("course", course)) if v is None}
    for field in ("name", "starts_on", "ends_on"):
        if data.get(field) in (None, ""):
            missing[field] = ["必填"]
    if missing:
        raise ValidationFailed(missing)
    section = Section(school=school, term=term, course=course, created_by=actor.user, status=SectionStatus.DRAFT)
    _apply(section, data)
    grades = _resolve_many(Grade, data.get("grades"), field="grades", label="年级")
    classes = _resolve_many(SchoolClass, data.get("classes"), field="classes", label="班级")
    teachers = _resolve_many(User, data.get("teachers"), field="teachers", label="教师")
    slots = _normalize_slots(data.get("slots"), school=school)
    grades = _validate(section, grades=grades, classes=classes, teachers=teachers, check_course=True)
    if section.mode != SectionMode.CLASS:
        classes = []
    check_schedule_conflicts(section, slots=slots, teachers=teachers, classes=classes)
    section.save()
    section.grades.set(grades)
    section.classes.set(classes)
    _write_teachers(section, teachers)
    _write_slots(section, slots)
    section_event(
        actor=actor,
        section=section,
        kind=SectionEventKind.CREATED,
        detail={"name": section.name, "slots": _summary(slots), "teachers": [user_label(t) for t in teachers]},
    )
    record_write(actor=actor, event=AuditEventType.CREATE, obj=section)
    return section


def _apply(section: Section, data: dict[str, Any]) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for field in SCALAR_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "venue":
            value = _resolve(Venue, value, field="venue", label="场地")
        elif field == "registration_window":
            value = _resolve(RegistrationWindow, value, field="registration_window", label="报名时段")
        old = getattr(section, f"{field}_id" if field in ("venue", "registration_window") else field, None)
        new = _pk(value) if field in ("venue", "registration_window") else value
        if old != new:
            diff[field] = [str(old) if old is not None else None, str(new) if new is not None else None]
        setattr(section, field, value)
    return diff


@transaction.atomic
def section_update(*, actor: Actor, section: Section, data: dict[str, Any]) -> Section:
    """Change a draft or open section; its future lessons follow a new schedule, venue or teachers."""
    require_section_writer(actor, section)
    section = Section.objects.select_for_update().get(pk=section.pk)
    section = Section.objects.select_related("school", "term", "course", "venue").get(pk=section.pk)
    if section.status not in EDITABLE_STATUSES:
        raise ValidationFailed(
            {"__all__": [f"课班{section.get_status_display()}，不能修改（调课、停课、代课请在课次上操作）"]}
        )
    diff = _apply(section, data)
    grades = (
        _resolve_many(Grade, data["grades"], field="grades", label="年级")
        if "grades" in data
        else list(section.grades.all())
    )
    classes = (
        _resolve_many(SchoolClass, data["classes"], field="classes", label="班级")
        if "classes" in data
        else list(section.classes.all())
    )
    teachers = (
        _resolve_many(User, data["teachers"], field="teachers", label="教师")
        if "teachers" in data
        else [link.user for link in section.teacher_links.select_related("user")]
    )
    slots = _normalize_slots(data["slots"], school=section.school) if "slots" in data else _slots_of(section)
    check_course = section.status == SectionStatus.DRAFT and "starts_on" in diff
    grades = _validate(section, grades=grades, classes=classes, teachers=teachers, check_course=check_course)
    if section.mode != SectionMode.CLASS:
        classes = []
    has_lessons = section.lessons.exists()
    if not has_lessons:
        check_schedule_conflicts(section, slots=slots, teachers=teachers, classes=classes)
    section.save()
    old_teachers = set(section.teachers.values_list("pk", flat=True))
    section.grades.set(grades)
    section.classes.set(classes)
    _write_teachers(section, teachers)
    old_slots = _slots_of(section)
    if "slots" in data:
        _write_slots(section, slots)
        if _summary(old_slots) != _summary(slots):
            diff["slots"] = [_summary(old_slots), _summary(slots)]
    if old_teachers != {t.pk for t in teachers}:
        diff["teachers"] = [sorted(old_teachers), sorted(t.pk for t in teachers)]
    if has_lessons and (
        {"slots", "teachers", "venue", "starts_on", "ends_on", "mode"} & diff.keys() or "classes" in data
    ):
        lock_resources(
            venue_ids=[section.venue_id], teacher_ids=[t.pk for t in teachers], class_ids=[c.pk for c in classes]
        )
        regenerate(section=section)
    section_event(actor=actor, section=section, kind=SectionEventKind.UPDATED, detail={"changes": diff})
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=section, detail={"changes": diff})
    if section.status == SectionStatus.OPEN and diff:
        notify(
            recipients=[*(t.pk for t in teachers), *section_people(section)],
            kind=NotificationKind.SECTION_CHANGED,
            title=f"课班变动：{section.name}",
            body="课班信息已调整，请查看最新安排。",
            link=reverse("scheduling:section_detail", args=[section.pk]),
            data={"section_id": section.pk},
        )
    return section


@transaction.atomic
def section_set_schedule(
    *, actor: Actor, section: Section, slots: list[dict[str, Any]], venue: Venue | None
) -> Section:
    """Replace the weekly slots and the venue (automatic scheduling's "apply"); conflict-checked; the future
    lessons are regenerated when the section has lessons."""
    require_section_writer(actor, section)
    Section.objects.select_for_update().filter(pk=section.pk).first()
    section = Section.objects.select_related("school", "term", "course", "venue").get(pk=section.pk)
    if section.status not in EDITABLE_STATUSES:
        raise ValidationFailed({"__all__": [f"课班{section.get_status_display()}，不能修改上课时间"]})
    if venue is not None and venue.school_id != section.school_id:
        raise ValidationFailed({"venue": ["场地不属于本校"]})
    normalized = _normalize_slots(slots, school=section.school)
    old_slots, old_venue = _summary(_slots_of(section)), section.venue_id
    section.venue = venue
    teachers = list(section.teachers.all())
    classes = list(section.classes.all()) if section.mode == SectionMode.CLASS else []
    has_lessons = section.lessons.exists()
    if not has_lessons:
        check_schedule_conflicts(section, slots=normalized, teachers=teachers, classes=classes)
    section.save(update_fields=["venue", "updated_at"])
    _write_slots(section, normalized)
    if has_lessons:
        lock_resources(
            venue_ids=[section.venue_id], teacher_ids=[t.pk for t in teachers], class_ids=class_ids_of(section)
        )
        regenerate(section=section)
    detail = {"slots": [old_slots, _summary(normalized)], "venue": [old_venue, section.venue_id]}
    section_event(actor=actor, section=section, kind=SectionEventKind.UPDATED, detail={"schedule": detail})
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=section, detail={"schedule": detail})
    return section


STATUS_FLOW = {
    SectionStatus.DRAFT: (SectionStatus.OPEN,),
    SectionStatus.OPEN: (SectionStatus.RUNNING,),
    SectionStatus.RUNNING: (SectionStatus.FINISHED,),
}


@transaction.atomic
def section_set_status(*, actor: Actor, section: Section, status: str) -> Section:
    """draft → open (lessons generated, course still schedulable) → running → finished. Cancelling is the cancel
    action of the section operations (it handles the enrolments); finished is final."""
    require_section_writer(actor, section)
    section = Section.objects.select_for_update().select_related("school", "course").get(pk=section.pk)
    if status == SectionStatus.CANCELLED:
        raise ValidationFailed({"status": ["取消课班请使用“取消课班”操作（会一并处理已报名的学生）"]})
    if status not in SectionStatus.values:
        raise ValidationFailed({"status": ["未知的状态"]})
    current = SectionStatus(section.status)
    if status not in STATUS_FLOW.get(current, ()):
        target = SectionStatus(status).label
        raise ValidationFailed({"status": [f"课班{current.label}，不能改为“{target}”"]})
    if status == SectionStatus.OPEN:
        if not section.lessons.filter(status=LessonStatus.SCHEDULED).exists():
            raise ValidationFailed({"status": ["请先生成课次再开放报名"]})
        reason = course_schedulable(course=section.course, school=section.school, on=section.starts_on)
        if reason is not None:
            raise ValidationFailed({"status": [reason]})
    old = section.status
    section.status = status
    section.save(update_fields=["status", "updated_at"])
    section_event(actor=actor, section=section, kind=SectionEventKind.STATUS, detail={"from": old, "to": status})
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=section, detail={"status": [old, status]})
    return section


def section_advance_statuses(*, today: dt.date) -> dict[str, int]:
    """The daily task: open → running on the first lesson's date, running → finished after the last lesson."""
    from afterschool.tenancy.actor import system_actor

    actor = system_actor()
    counts = {"running": 0, "finished": 0}
    for section in Section.objects.filter(status=SectionStatus.OPEN, lessons__status=LessonStatus.SCHEDULED).distinct():
        first = (
            section.lessons.filter(status=LessonStatus.SCHEDULED)
            .order_by("date")
            .values_list("date", flat=True)
            .first()
        )
        if first is not None and first <= today:
            _advance(actor, section, SectionStatus.RUNNING)
            counts["running"] += 1
    for section in Section.objects.filter(status=SectionStatus.RUNNING):
        last = (
            section.lessons.filter(status=LessonStatus.SCHEDULED)
            .order_by("-date")
            .values_list("date", flat=True)
            .first()
        )
        if last is None or last < today:
            _advance(actor, section, SectionStatus.FINISHED)
            counts["finished"] += 1
    return counts


@transaction.atomic
def _advance(actor: Actor, section: Section, status: str) -> None:
    locked = Section.objects.select_for_update().get(pk=section.pk)
    expected = SectionStatus.OPEN if status == SectionStatus.RUNNING else SectionStatus.RUNNING
    if locked.status != expected:
        return
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    section_event(
        actor=actor, section=locked, kind=SectionEventKind.STATUS, detail={"from": expected, "to": status, "auto": True}
    )
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=locked, detail={"status": [expected, status], "auto": True}
    )


@transaction.atomic
def section_delete(*, actor: Actor, section: Section) -> None:
    """Only a draft with no enrolments; its slots, teachers, lessons and history go with it."""
    require_section_writer(actor, section)
    section = Section.objects.select_for_update().get(pk=section.pk)
    if section.status != SectionStatus.DRAFT:
        raise Conflict("not_draft", "只能删除草稿状态的课班")
    if section.enrollments.exists():  # type: ignore[attr-defined]
        raise Conflict("has_enrollments", "课班已有报名记录，不能删除")
    record_write(actor=actor, event=AuditEventType.DELETE, obj=section, detail={"name": section.name})
    section.lessons.all().delete()
    section.delete()


def section_warnings(section: Section) -> list[str]:
    warning = capacity_warning(venue=section.venue, max_students=section.max_students)
    return [warning] if warning else []


def section_export(*, actor: Actor, filters: dict[str, Any]) -> bytes:
    from ..selectors.sections import section_list

    rows = (
        [
            s.school.name,
            str(s.term),
            s.name,
            s.course.name,
            s.get_mode_display(),
            s.get_status_display(),
            "、".join(g.name for g in s.grades.all()),
            "、".join(f"{c.grade.name}{c.name}" for c in s.classes.all()),
            s.starts_on,
            s.ends_on,
            "；".join(str(slot) for slot in s.slots.all()),
            s.venue.name if s.venue else "",
            "、".join(user_label(t) for t in s.teachers.all()),
            s.min_students,
            s.max_students,
            s.fee_fen / 100,
            s.materials_fee_fen / 100,
            "是" if s.materials_included else "否",
        ]
        for s in section_list(actor=actor, filters=filters).prefetch_related(
            "grades", "classes__grade", "slots", "teachers"
        )
    )
    headers = [
        "学校", "学期", "课班名称", "课程", "上课形式", "状态", "年级", "原班班级", "开课日期", "结课日期",
        "每周上课时间", "场地", "教师", "最少人数", "最多人数", "报名费（元）", "材料费（元）", "含材料",
    ]  # fmt: skip
    content = build_xlsx(headers=headers, rows=rows, sheet_title="课班")
    detail = {"what": "section", **{k: str(v) for k, v in filters.items() if v not in (None, "")}}
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail=detail)
    return content


def lesson_count(section: Section) -> int:
    return Lesson.objects.filter(section=section, status=LessonStatus.SCHEDULED).count()
