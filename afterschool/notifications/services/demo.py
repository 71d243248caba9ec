"""Demo school announcements of 海淀实验小学, sent by its admin (login "school") through the real service, so the
parents' notification centre and the school's announcement list have something to show: one to all parents of
the school, one to the parents of 一年级1班 (the demo parent's daughter 刘雨涵 is in it, so the demo parent
receives both). Idempotent: an announcement of the same title at the school is left alone."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from afterschool.accounts.choices import Role
from afterschool.core.errors import ValidationFailed
from afterschool.schools.models import SchoolClass
from afterschool.tenancy.actor import actor_of_login
from afterschool.tenancy.models import School

from ..choices import Audience
from ..models import Announcement
from .announcements import announcement_send

DEMO_SENDER = "school"
ALL_PARENTS_TITLE = "关于课后服务延时的通知"
ALL_PARENTS_BODY = (
    "各位家长：\n"
    "根据家长需求，自下周一起，本校课后服务第二时段延长至 18:00 结束，需延时托管的学生请在选课报名页面勾选“延时服务”。"
    "延时时段安排教师看护和作业辅导，不收取额外费用。\n"
    "放学接送请从东门进出，请勿在校门口长时间停车。\n"
    "海淀实验小学课后服务办公室"
)
CLASS_TITLE = "一年级1班 本周五课后服务调整"
CLASS_BODY = (
    "各位家长：\n"
    "本周五下午一年级1班教室进行消防检查，当天课后服务改在多功能厅进行，结束时间不变，请按时接孩子。\n"
    "一年级1班班主任"
)


@transaction.atomic
def demo_announcements_ensure(*, school: School) -> dict[str, int]:
    """Returns what was created: {"announcements": n, "notifications": n}."""
    created = {"announcements": 0, "notifications": 0}
    actor = actor_of_login(DEMO_SENDER, Role.SCHOOL_ADMIN)
    plans: list[dict[str, Any]] = [
        {"audience": Audience.ALL_PARENTS, "title": ALL_PARENTS_TITLE, "body": ALL_PARENTS_BODY}
    ]
    first_class = SchoolClass.objects.filter(school=school, grade__name="一年级", name="1班").first()
    if first_class is not None:
        plans.append(
            {"audience": Audience.CLASS, "school_class": first_class.pk, "title": CLASS_TITLE, "body": CLASS_BODY}
        )
    for plan in plans:
        if Announcement.objects.filter(school=school, title=plan["title"]).exists():
            continue
        try:
            announcement = announcement_send(actor=actor, data={"school": school.pk, **plan})
        except ValidationFailed:
            continue  # nobody with a login to tell (a population without parent accounts)
        created["announcements"] += 1
        created["notifications"] += announcement.recipient_count
    return created
