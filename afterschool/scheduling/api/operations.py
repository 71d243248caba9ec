"""/api/v1/scheduling/ — operations: split, move, cancel a section."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from afterschool.accounts.models import User
from afterschool.core.api import ERRORS, actor_of
from afterschool.core.errors import ValidationFailed
from afterschool.enrollment import selectors as enrollment_selectors
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.enrollment.services import require_writer
from afterschool.schools.models import Venue
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import scoped

from ..models import Section
from ..schemas.operations import CancelIn, CancelOut, MoveIn, MoveOut, SplitIn, SplitOut
from ..selectors import operations as selectors
from ..services import operations as services

router = Router(tags=["排课与课表"])


def _brief(section: Section) -> dict[str, Any]:
    return {
        "id": section.pk,
        "name": section.name,
        "status": section.status,
        "split_from_id": section.split_from_id,
        "active_students": section.enrollments.filter(status=EnrollmentStatus.ACTIVE).count(),
    }


def _new_section_spec(actor: Actor, section: Section, index: int, spec: Any) -> dict[str, Any]:
    venue = None
    if spec.venue is not None:
        venue = scoped(Venue.objects.filter(school_id=section.school_id), actor).filter(pk=spec.venue).first()
        if venue is None:
            raise ValidationFailed({"new_sections": [f"第 {index} 个课班的场地不存在或不属于本校"]})
    teachers = []
    for user_id in dict.fromkeys(spec.teachers):
        user = scoped(User.objects.all(), actor).filter(pk=user_id).first()
        if user is None:
            raise ValidationFailed({"new_sections": [f"第 {index} 个课班的教师 {user_id} 不存在或不属于本校"]})
        teachers.append(user)
    return {"venue": venue, "teachers": teachers, "slots": [slot.dict() for slot in spec.slots]}


@router.post("/sections/{section_id}/split", response={200: SplitOut, **ERRORS}, summary="分班")
def section_split(request: HttpRequest, section_id: int, payload: SplitIn) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    require_writer(actor)
    specs = [_new_section_spec(actor, section, i + 2, s) for i, s in enumerate(payload.new_sections or [])]
    parts = services.section_split(
        actor=actor, section=section, parts=payload.parts, strategy=payload.strategy, chosen=payload.chosen,
        new_sections=specs,
    )  # fmt: skip
    return {"sections": [_brief(s) for s in parts]}


@router.post("/sections/{section_id}/move", response={200: MoveOut, **ERRORS}, summary="调班")
def section_move(request: HttpRequest, section_id: int, payload: MoveIn) -> Any:
    actor = actor_of(request)
    source = selectors.section_get(actor=actor, section_id=section_id)
    require_writer(actor)
    target = selectors.section_get(actor=actor, section_id=payload.target)
    students = enrollment_selectors.students_get(actor=actor, student_ids=payload.students)
    moved = services.students_move(actor=actor, source=source, target=target, students=students, reason=payload.reason)
    return {"moved": moved}


@router.post("/sections/{section_id}/cancel", response={200: CancelOut, **ERRORS}, summary="取消课班")
def section_cancel(request: HttpRequest, section_id: int, payload: CancelIn) -> Any:
    actor = actor_of(request)
    section = selectors.section_get(actor=actor, section_id=section_id)
    return services.section_cancel(actor=actor, section=section, reason=payload.reason)
