"""Demo sections of 海淀实验小学's first term: the school's slot grid, a 走班 art section (grades 1–4) taught by
the organization's dispatched teacher (赵老师, login orgteacher), and a 原班 reading section of 一年级1班 taught by the
class's own teacher (陈老师, login teacher); lessons generated over the term calendar, both running, with students
enrolled (the demo parent's daughter among them). Written as the school admin through the services; runs once."""

from __future__ import annotations

import datetime as dt

from afterschool.accounts.models import User
from afterschool.core.choices import Weekday
from afterschool.courses.models import Course
from afterschool.enrollment import services as enrollment_services
from afterschool.schools.models import Grade, SchoolClass, Student, Term, Venue
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..choices import SectionMode, SectionStatus
from ..models import Section, TimeSlot
from . import lessons as lesson_services
from . import sections as section_services
from . import slots as slot_services


def demo_sections_ensure(*, actor: Actor, school: School) -> list[Section]:
    """Returns the sections created (none when they exist already)."""
    if Section.objects.filter(school=school).exists():
        return []
    term = Term.objects.filter(school=school).order_by("starts_on").first()
    art = Course.objects.filter(name="少儿创意美术", offers__school=school, offers__status="approved").first()
    reading = Course.objects.filter(name="经典诵读", owner_school=school).first()
    if term is None or art is None or reading is None:
        return []
    if not TimeSlot.objects.filter(school=school).exists():
        slot_services.time_slots_generate_week(actor=actor, data={"school": school})
    tuesday = TimeSlot.objects.get(school=school, weekday=Weekday.TUESDAY, starts_at=dt.time(15, 40))
    thursday = TimeSlot.objects.get(school=school, weekday=Weekday.THURSDAY, starts_at=dt.time(15, 40))
    class_1_1 = SchoolClass.objects.get(school=school, grade__level=1, name__in=["1班", "一年级1班"])
    common = {"term": term, "starts_on": term.starts_on, "ends_on": min(term.ends_on, dt.date(2027, 1, 20))}
    created = [
        section_services.section_create(
            actor=actor,
            data={
                **common, "course": art, "name": "少儿创意美术（周二班）", "mode": SectionMode.WALKING,
                "grades": list(Grade.objects.filter(school=school, level__in=[1, 2, 3, 4])),
                "fee_fen": 120000, "materials_fee_fen": 8800, "materials_included": False,
                "min_students": 10, "max_students": 25,
                "venue": Venue.objects.get(school=school, name="美术教室"),
                "teachers": [User.objects.get(username="orgteacher")],
                "slots": [{"weekday": tuesday.weekday, "starts_at": tuesday.starts_at, "ends_at": tuesday.ends_at,
                           "time_slot": tuesday}],
            },
        ),
        section_services.section_create(
            actor=actor,
            data={
                **common, "course": reading, "name": "经典诵读（一年级1班）", "mode": SectionMode.CLASS,
                "classes": [class_1_1], "fee_fen": 0, "min_students": 1, "max_students": 45,
                "venue": Venue.objects.get(school=school, name="图书馆"),
                "teachers": [User.objects.get(username="teacher")],
                "slots": [{"weekday": thursday.weekday, "starts_at": thursday.starts_at,
                           "ends_at": thursday.ends_at, "time_slot": thursday}],
            },
        ),
    ]  # fmt: skip
    for section in created:
        lesson_services.lessons_generate(actor=actor, section=section)
        section_services.section_set_status(actor=actor, section=section, status=SectionStatus.OPEN)
    art_section, reading_section = created
    # The art section: the demo parent's two children (刘雨涵, 一年级1班; 刘小明, 四年级2班) and a few students of
    # each of grades 1–4.
    children = list(Student.objects.filter(school=school, name__in=["刘雨涵", "刘小明"]))
    chosen = children + [
        student
        for level in (1, 2, 3, 4)
        for student in Student.objects.filter(school=school, grade__level=level)
        .exclude(pk__in=[c.pk for c in children])
        .order_by("student_number")[:5]
    ]
    enrollment_services.enrollment_batch_create(actor=actor, section=art_section, students=chosen)
    enrollment_services.enrollment_batch_create(actor=actor, section=reading_section, all_classes=True)
    for section in created:
        section_services.section_set_status(actor=actor, section=section, status=SectionStatus.RUNNING)
    # And one section open for enrolment now (no registration window: open while its status is 报名中), so a parent
    # can choose it, pay on the simulated bank, and see the place confirmed.
    thursday_late = TimeSlot.objects.get(school=school, weekday=Weekday.THURSDAY, starts_at=dt.time(16, 50))
    open_section = section_services.section_create(
        actor=actor,
        data={
            "term": term, "course": art, "name": "少儿创意美术（周四班）", "mode": SectionMode.WALKING,
            "grades": list(Grade.objects.filter(school=school, level__in=[1, 2, 3, 4])),
            "fee_fen": 60000, "materials_fee_fen": 8800, "materials_included": False,
            "min_students": 5, "max_students": 20, "starts_on": dt.date(2026, 12, 3), "ends_on": dt.date(2027, 1, 14),
            "venue": Venue.objects.get(school=school, name="美术教室"),
            "teachers": [User.objects.get(username="orgteacher")],
            "slots": [{"weekday": thursday_late.weekday, "starts_at": thursday_late.starts_at,
                       "ends_at": thursday_late.ends_at, "time_slot": thursday_late}],
        },
    )  # fmt: skip
    lesson_services.lessons_generate(actor=actor, section=open_section)
    section_services.section_set_status(actor=actor, section=open_section, status=SectionStatus.OPEN)
    # Settlement with the organization: 200 元 per lesson delivered, so the school can raise November's bill.
    from afterschool.payments.services.settlement import settlement_terms_create

    settlement_terms_create(
        actor=actor,
        data={"organization": art.owner_organization, "mode": "per_lesson", "rate_fen": 20000,
              "starts_on": term.starts_on, "note": "每上一次课结算 200 元"},
    )  # fmt: skip
    return [*created, open_section]
