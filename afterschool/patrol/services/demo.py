"""Demo patrols of 海淀实验小学: the default rubric, and patrols of past lessons by the demo teacher 陈静 (login
teacher, who holds the 巡课 post) and by a 课后服务办公室 staff member when one has a login. Nobody patrols a lesson
of their own, so the patrolled lessons are those the organization's teacher gives (the art section). Two of every
three such lessons are patrolled — about a third of the school's past lessons — with deterministic scores and
comments. Idempotent: a second run adds nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from afterschool.accounts.choices import Role
from afterschool.accounts.models import RoleMembership
from afterschool.attendance.selectors.common import aware, lesson_start
from afterschool.core import timeutil
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson
from afterschool.schools.choices import StaffRole
from afterschool.schools.models import Staff
from afterschool.tenancy.actor import Actor, system_actor
from afterschool.tenancy.models import School

from ..choices import SCALE_RANGE
from ..models import Patrol, PatrolCriterion
from ..selectors.patrols import roll_size
from ..selectors.rubric import active_criteria
from . import rubric as rubric_services
from .patrols import patrol_store

DEMO_TEACHER = "teacher"
COMMENTS = [
    "课堂秩序良好，学生参与积极。",
    "教师讲解清楚，示范到位，个别学生注意力不集中。",
    "场地整洁，材料准备充分，安全提示到位。",
    "学生作品完成度高，建议增加展示交流环节。",
    "上课准时，考勤登记及时，课堂氛围活跃。",
]


def _teacher_actor(membership: RoleMembership | None) -> Actor | None:
    if membership is None:
        return None
    return Actor(user=membership.user, membership=membership, permissions=frozenset(membership.permissions or []))


def _patrollers(school: School) -> list[Actor]:
    """The demo teacher, and the first 课后服务办公室 staff member with a teacher login of the school, if any."""
    memberships = RoleMembership.objects.select_related("user").filter(role=Role.TEACHER, school=school, is_active=True)
    actors = [_teacher_actor(memberships.filter(user__username=DEMO_TEACHER).first())]
    office = [
        s for s in Staff.objects.filter(school=school, user__isnull=False, is_active=True).order_by("employee_number")
        if StaffRole.AFTERSCHOOL_OFFICE in (s.roles or []) and s.user is not None and s.user.username != DEMO_TEACHER
    ]  # fmt: skip
    if office:
        actors.append(_teacher_actor(memberships.filter(user=office[0].user).first()))
    return [a for a in actors if a is not None]


def _scores(criteria: list[PatrolCriterion], index: int) -> dict[int, int]:
    scores = {}
    for j, criterion in enumerate(criteria):
        low, high = SCALE_RANGE[criterion.scale]
        top = min(high - low, 2 if high - low <= 4 else 4)
        scores[criterion.pk] = high - ((index + j) % (top + 1))
    return scores


@transaction.atomic
def demo_patrol_ensure(*, school: School) -> dict[str, int]:
    """Returns what was created: {"criteria": n, "patrols": n}."""
    created = {"criteria": 0, "patrols": 0}
    if not PatrolCriterion.objects.filter(school=school).exists():
        created["criteria"] = len(rubric_services.rubric_use_defaults(actor=system_actor(), school_id=school.pk))
    criteria = active_criteria(school.pk)
    patrollers = _patrollers(school)
    if not criteria or not patrollers:
        return created
    now = timeutil.local_now()
    patroller_ids = [a.user_id for a in patrollers]
    lessons = list(
        Lesson.objects.filter(section__school=school)
        .exclude(status=LessonStatus.CANCELLED)
        .filter(Q(date__lt=now.date()) | Q(date=now.date(), starts_at__lte=now.time()))
        .exclude(teachers__in=patroller_ids)
        .select_related("section")
        .order_by("date", "starts_at", "section_id", "pk")
    )
    done = set(Patrol.objects.filter(lesson__in=lessons).values_list("lesson_id", "patroller_id"))
    for index, lesson in enumerate(lessons):
        if index % 3 == 2:
            continue
        # The teacher patrols each chosen lesson; the office staff member (if any) every other one.
        for turn, actor in enumerate(patrollers):
            if turn and index % 2:
                continue
            if (lesson.pk, actor.user_id) in done:
                continue
            roll = roll_size(lesson)
            patrol = patrol_store(
                actor=actor, lesson=lesson, criteria=criteria, scores=_scores(criteria, index + turn),
                teacher_present=index % 7 != 3, head_count=max(roll - (index % 3), 0),
                comment=COMMENTS[(index + turn) % len(COMMENTS)],
            )  # fmt: skip
            # The patrol happened during the lesson, not when the demo was loaded.
            minutes = 15 + 10 * turn
            when = aware(lesson_start(lesson) + dt.timedelta(minutes=minutes))
            Patrol.objects.filter(pk=patrol.pk).update(created_at=when, updated_at=when)
            created["patrols"] += 1
    return created
