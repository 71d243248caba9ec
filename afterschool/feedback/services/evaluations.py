"""课程评价 (§5.4.6, §5.3.3): a family scores a section its child is in — course content, teacher, resources and
classroom management, 1–5 each, with an optional comment.

Rules
- Who: a guardian with a login (for its own child) or the student itself; anyone else's child is NotFound.
- Which section: one where the child holds an active place, or held one until the section's end; another is NotFound.
- When: once the section's first lessons have been given — at least EVALUATION_AFTER_LESSONS of its lessons (not
  cancelled) have started (the school's wall clock, read through core.timeutil). Before, refused with when it opens.
- Once per section and student (a section is one term; the unique constraint guards it): a second submission edits
  the existing evaluation within EVALUATION_EDIT_DAYS days of its creation; after that it is refused.
- Two submissions at once (two guardians, a double tap): the child's row is locked while checking, so the second
  waits and edits what the first created; the unique constraint is the last guard.
Every write is audited; exports of evaluations and statistics too.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core import timeutil
from afterschool.core.errors import Conflict, NotFound, ValidationFailed
from afterschool.scheduling.models import Section
from afterschool.schools.models import Student
from afterschool.tenancy.actor import Actor

from ..choices import EVALUATION_ASPECTS
from ..models import Evaluation
from ..selectors import evaluations as selectors

EVALUATION_AFTER_LESSONS = 2  # lessons (not cancelled) that must have started before a section may be evaluated
EVALUATION_EDIT_DAYS = 7  # days after its creation during which an evaluation may still be changed

COMMENT_MAX = 500


def _scores(scores: dict[str, Any]) -> dict[str, int]:
    """The four scores as ints 1–5; each missing or wrong one named in Chinese."""
    errors: dict[str, list[str]] = {}
    out: dict[str, int] = {}
    for aspect, label in EVALUATION_ASPECTS:
        value = scores.get(aspect)
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        if number is None or not 1 <= number <= 5:
            errors[aspect] = [f"请为“{label}”打 1–5 星"]
        else:
            out[aspect] = number
    if errors:
        raise ValidationFailed(errors, message=next(iter(errors.values()))[0], code="score_invalid")
    return out


def _comment(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > COMMENT_MAX:
        raise ValidationFailed({"comment": [f"评语最多 {COMMENT_MAX} 字"]}, code="comment_too_long")
    if "\x00" in text:
        raise ValidationFailed({"comment": ["评语含有不允许的字符"]}, code="comment_invalid")
    return text


@transaction.atomic
def evaluation_submit(
    *, actor: Actor, student: Student, section: Section | int, scores: dict[str, Any], comment: str = ""
) -> tuple[Evaluation, bool]:
    """A family evaluates a section of its child, or edits its evaluation within the edit window. Returns the
    evaluation and whether it was created. Families only (a parent for its own child, a student for itself)."""
    selectors.require_family(actor)
    if actor.user is None or not selectors.is_family(actor, student):
        raise NotFound()
    values = _scores(scores)
    text = _comment(comment)
    # One child's evaluations one at a time: a double tap or two guardians at once cannot write two rows.
    student = Student.objects.select_for_update().get(pk=student.pk)
    section_id = section.pk if isinstance(section, Section) else section
    found = selectors.placed_section_get(student=student, section_id=section_id)
    started, opens = selectors.section_progress(found, timeutil.local_now())
    if started < EVALUATION_AFTER_LESSONS:
        raise Conflict(
            "too_early", selectors.opens_message(opens), detail={"opens_at": opens.isoformat() if opens else None}
        )
    existing = Evaluation.objects.filter(section_id=found.pk, student_id=student.pk).first()
    if existing is not None:
        return _edit(actor, existing, values, text), False
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                section=found, student=student, author=actor.user, comment=text, **values
            )  # type: ignore[misc]
    except IntegrityError:
        raise Conflict("already_evaluated", "该课班已经评价过了，请刷新后修改") from None
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=evaluation,
        detail={"section": found.pk, "student": student.pk, **values, "comment": text},
    )  # fmt: skip
    return evaluation, True


def _edit(actor: Actor, evaluation: Evaluation, values: dict[str, int], text: str) -> Evaluation:
    assert actor.user is not None  # a family's login (checked by evaluation_submit)
    if timeutil.now() >= selectors.editable_until(evaluation):
        raise Conflict("edit_window_closed", f"评价已提交超过 {EVALUATION_EDIT_DAYS} 天，不能再修改")
    before = {aspect: getattr(evaluation, aspect) for aspect in values} | {"comment": evaluation.comment}
    for aspect, number in values.items():
        setattr(evaluation, aspect, number)
    evaluation.comment = text
    # The author is whoever gave the scores now standing (another guardian may have edited them).
    evaluation.author = actor.user
    evaluation.save(update_fields=[*values, "comment", "author", "updated_at"])
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=evaluation,
        detail={"section": evaluation.section_id, "student": evaluation.student_id, "before": before,
                "after": {**values, "comment": text}},
    )  # fmt: skip
    return evaluation


def evaluation_export_record(*, actor: Actor, what: str, rows: int, filters: dict[str, Any] | None = None) -> None:
    """Audit an xlsx export of evaluations or their statistics: who, which list, how many rows, which filters."""
    record_write(
        actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
        detail={"what": what, "rows": rows, "filters": {k: str(v) for k, v in (filters or {}).items() if v}},
    )  # fmt: skip
