"""Course review (课程审核, §4.3.1, §5.1.2): submit → approve or reject, recall, and the bureau's withdrawal of an
approval for quality (课程质量监管).

A course with no offer is a draft. Its owner submits it: a school to itself (one offer), an organization to any of
the schools it has a partnership in force with (one offer per school). The school admin of the offer's school, the
bureau of its region or the system admin decides; a rejection needs a comment. The owner may recall a submission
not yet decided; a rejected, recalled or withdrawn offer may be submitted again (the same offer goes back to
待审核). Only the bureau (or system admin) withdraws an approval, of organizations' courses only, with a reason.

Every step appends a CourseReview row and an audit row. Each decision locks the offer row and re-checks its status,
so two reviewers deciding at once produce one decision and one refusal (409).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.export import build_xlsx
from afterschool.core.timeutil import now
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.choices import OrganizationStatus
from afterschool.tenancy.models import School

from ..choices import OfferStatus, ReviewAction
from ..models import Course, CourseOffer, CourseReview
from ..selectors import review as selectors

COMMENT_MAX = 500


def _append_review(
    *, actor: Actor, offer: CourseOffer, action: str, from_status: str, comment: str = "", created: bool = False
) -> None:
    CourseReview.objects.create(
        offer=offer,
        action=action,
        from_status=from_status,
        to_status=offer.status,
        comment=comment,
        actor=actor.user,
        actor_role=actor.role or actor.via,
    )
    record_write(
        actor=actor,
        event=AuditEventType.CREATE if created else AuditEventType.UPDATE,
        obj=offer,
        detail={"action": action, "from": from_status, "to": offer.status, "comment": comment},
    )


def _clean_comment(value: Any, *, field: str, required: bool, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationFailed({field: [f"请填写{label}"]})
    if len(text) > COMMENT_MAX:
        raise ValidationFailed({field: [f"{label}不能超过 {COMMENT_MAX} 字"]})
    return text


def _locked(offer_id: int) -> CourseOffer:
    try:
        return CourseOffer.objects.select_for_update().select_related("course", "school").get(pk=offer_id)
    except CourseOffer.DoesNotExist:
        raise NotFound() from None


def _handled_by_someone(offer: CourseOffer) -> Conflict:
    return Conflict(
        "already_handled",
        f"该审核已被他人处理（当前状态：{offer.get_status_display()}），请刷新后查看",
        detail={"status": offer.status},
    )


# --- submit and recall (the owner) ---------------------------------------------------------------------------------


def _school_names(ids: list[int]) -> list[str]:
    """School names are public (学校名录); an id that names no school is shown as such."""
    names = dict(School.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [names.get(i, f"编号 {i}（不存在）") for i in ids]


def _target_schools(*, actor: Actor, course: Course, school_ids: Iterable[int] | None) -> list[School]:
    ids = sorted({int(i) for i in (school_ids or [])})
    if course.owner_school_id is not None:
        # A school's course is offered to that school only.
        if ids and ids != [course.owner_school_id]:
            raise ValidationFailed({"school_ids": ["学校自有课程只能提交本校审核"]})
        return [School.objects.get(pk=course.owner_school_id)]
    if not ids:
        raise ValidationFailed({"school_ids": ["请至少选择一所合作学校"]})
    assert course.owner_organization_id is not None
    partnered = {s.pk: s for s in selectors.partnered_schools(organization_id=course.owner_organization_id)}
    refused = [i for i in ids if i not in partnered]
    if refused:
        names = _school_names(refused)
        raise ValidationFailed(
            {"school_ids": [f"以下学校与本机构没有有效的合作关系，不能提交：{'、'.join(names)}"]},
            message="所选学校中有未合作的学校",
        )
    return [partnered[i] for i in ids]


@transaction.atomic
def course_submit(*, actor: Actor, course: Course, school_ids: Iterable[int] | None = None) -> list[CourseOffer]:
    """The owner submits a course for review (a school to itself; an organization to partnered schools).

    Needs at least one chapter. A new offer starts at 待审核; a rejected, recalled or withdrawn one goes back to it.
    """
    course = selectors.course_for_review(actor=actor, course_id=course.pk)
    # The same row lock as the catalogue's edits: content cannot change while it is being submitted.
    Course.objects.select_for_update().filter(pk=course.pk).first()
    if not selectors.can_submit(actor, course):
        raise PermissionDenied("只有课程所属的学校或机构可以提交审核")
    organization = course.owner_organization
    if organization is not None and organization.status != OrganizationStatus.ACTIVE:
        raise ValidationFailed({"course": [f"机构当前{organization.get_status_display()}，不能提交课程审核"]})
    if not course.chapters.exists():
        raise ValidationFailed({"course": ["课程至少要有一个章节才能提交审核"]})
    schools = _target_schools(actor=actor, course=course, school_ids=school_ids)

    existing = {
        o.school_id: o
        for o in CourseOffer.objects.select_for_update().filter(course=course, school__in=schools).order_by("id")
    }
    busy = [o for o in existing.values() if o.status in selectors.OPEN_STATUSES]
    if busy:
        names = "、".join(f"{o.school.name}（{o.get_status_display()}）" for o in busy)
        raise Conflict("already_submitted", f"课程已提交或已通过审核，不能重复提交：{names}")

    offers = []
    moment = now()
    for school in schools:
        offer = existing.get(school.pk)
        created = offer is None
        from_status = "" if offer is None else offer.status
        if offer is None:
            offer = CourseOffer(course=course, school=school)
        offer.status = OfferStatus.SUBMITTED
        offer.submitted_at = moment
        offer.decided_at = None
        offer.decided_by = None
        offer.comment = ""
        try:
            with transaction.atomic():
                offer.save()
        except IntegrityError:
            raise Conflict("already_submitted", "课程刚被他人提交到该校，请刷新后查看") from None
        _append_review(actor=actor, offer=offer, action=ReviewAction.SUBMIT, from_status=from_status, created=created)
        offers.append(offer)
    return offers


@transaction.atomic
def offer_recall(*, actor: Actor, offer: CourseOffer) -> CourseOffer:
    """The owner takes back a submission that is still 待审核."""
    offer = selectors.offer_get(actor=actor, offer_id=offer.pk)
    if not selectors.can_submit(actor, offer.course):
        raise PermissionDenied("只有课程所属的学校或机构可以撤回提交")
    offer = _locked(offer.pk)
    if offer.status != OfferStatus.SUBMITTED:
        raise Conflict("not_submitted", f"只有待审核的提交可以撤回（当前状态：{offer.get_status_display()}）")
    offer.status = OfferStatus.RECALLED
    offer.save(update_fields=["status", "updated_at"])
    _append_review(actor=actor, offer=offer, action=ReviewAction.RECALL, from_status=OfferStatus.SUBMITTED)
    return offer


# --- decisions (school, bureau) --------------------------------------------------------------------------------------


def _decide(*, actor: Actor, offer: CourseOffer, approve: bool, comment: Any) -> CourseOffer:
    offer = selectors.offer_get(actor=actor, offer_id=offer.pk)
    if not selectors.can_decide(actor, offer):
        raise PermissionDenied("只有该校学校管理员或本区教育局可以审核课程")
    text = _clean_comment(
        comment, field="comment", required=not approve, label="驳回意见" if not approve else "审核意见"
    )
    offer = _locked(offer.pk)
    if offer.status != OfferStatus.SUBMITTED:
        raise _handled_by_someone(offer)
    offer.status = OfferStatus.APPROVED if approve else OfferStatus.REJECTED
    offer.decided_at = now()
    offer.decided_by = actor.user
    offer.comment = text
    offer.save(update_fields=["status", "decided_at", "decided_by", "comment", "updated_at"])
    action = ReviewAction.APPROVE if approve else ReviewAction.REJECT
    _append_review(actor=actor, offer=offer, action=action, from_status=OfferStatus.SUBMITTED, comment=text)
    return offer


@transaction.atomic
def offer_approve(*, actor: Actor, offer: CourseOffer, comment: str = "") -> CourseOffer:
    """School admin of the offer's school, the bureau of its region or the system admin approve a 待审核 offer."""
    return _decide(actor=actor, offer=offer, approve=True, comment=comment)


@transaction.atomic
def offer_reject(*, actor: Actor, offer: CourseOffer, comment: str) -> CourseOffer:
    """As approval, but a comment (驳回意见) is required."""
    return _decide(actor=actor, offer=offer, approve=False, comment=comment)


@transaction.atomic
def course_withdraw(
    *, actor: Actor, course: Course, reason: str, school_ids: Iterable[int] | None = None
) -> list[CourseOffer]:
    """The bureau (or system admin) withdraws the approval of an organization's course for quality: at the given
    schools, or at every school of its region where it is approved. A reason is required."""
    course = selectors.course_for_review(actor=actor, course_id=course.pk)
    if not (actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)):
        raise PermissionDenied("只有教育局可以撤销课程的审核通过")
    if not selectors.can_withdraw(actor, course):
        raise ValidationFailed({"course": ["只能撤销机构课程的审核通过"]})
    text = _clean_comment(reason, field="reason", required=True, label="撤销原因")
    visible = selectors.offer_list(actor=actor, filters={"course": course.pk})
    ids = sorted({int(i) for i in (school_ids or [])})
    if ids:
        approved_at = {o.school_id for o in visible.filter(status=OfferStatus.APPROVED)}
        missing = [i for i in ids if i not in approved_at]
        if missing:
            listed = "、".join(_school_names(missing))
            raise ValidationFailed({"school_ids": [f"课程在以下学校没有已通过的审核：{listed}"]})
        visible = visible.filter(school_id__in=ids)
    offer_ids = list(visible.filter(status=OfferStatus.APPROVED).values_list("id", flat=True))
    if not offer_ids:
        raise Conflict("nothing_to_withdraw", "该课程没有可撤销的已通过审核")
    # Lock in id order so two withdrawals of overlapping sets cannot deadlock.
    locked = list(CourseOffer.objects.select_for_update().filter(pk__in=offer_ids).order_by("id"))
    changed = [o for o in locked if o.status == OfferStatus.APPROVED]
    if len(changed) != len(offer_ids):
        raise _handled_by_someone(next(o for o in locked if o.status != OfferStatus.APPROVED))
    moment = now()
    for offer in changed:
        offer.status = OfferStatus.WITHDRAWN
        offer.decided_at = moment
        offer.decided_by = actor.user
        offer.comment = text
        offer.save(update_fields=["status", "decided_at", "decided_by", "comment", "updated_at"])
        _append_review(
            actor=actor, offer=offer, action=ReviewAction.WITHDRAW, from_status=OfferStatus.APPROVED, comment=text
        )
    return changed


# --- exports --------------------------------------------------------------------------------------------------------


@transaction.atomic
def offer_export(*, actor: Actor, filters: dict[str, Any]) -> bytes:
    """xlsx of the offers the actor sees with the list's filters. Audited."""
    rows = (
        [
            o.course.name,
            o.course.get_category_display(),
            str(o.course.owner),
            o.school.name,
            o.get_status_display(),
            o.submitted_at,
            o.decided_at,
            o.comment,
        ]
        for o in selectors.offer_list(actor=actor, filters=filters)
    )
    headers = ["课程", "类别", "所属学校/机构", "审核学校", "状态", "提交时间", "审核时间", "审核意见"]
    content = build_xlsx(headers=headers, rows=_naive(rows), sheet_title="课程审核")
    detail = {"what": "course_offers", **{k: str(v) for k, v in filters.items() if v not in (None, "")}}
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail=detail)
    return content


@transaction.atomic
def impact_export(*, actor: Actor, filters: dict[str, Any]) -> bytes:
    """xlsx of the school's 机构变动待处理 list. Audited."""
    rows = (
        [i.school.name, i.kind_label, i.organization.name, i.title, i.reason]
        for i in selectors.impact_list(actor=actor, filters=filters)
    )
    content = build_xlsx(headers=["学校", "类型", "机构", "内容", "原因"], rows=rows, sheet_title="机构变动待处理")
    detail = {"what": "course_impact", **{k: str(v) for k, v in filters.items() if v not in (None, "")}}
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail=detail)
    return content


def _naive(rows: Iterable[list[Any]]) -> Iterable[list[Any]]:
    """openpyxl refuses aware datetimes: write local wall-clock times."""
    from django.utils import timezone

    for row in rows:
        yield [
            timezone.localtime(v).replace(tzinfo=None) if hasattr(v, "tzinfo") and v.tzinfo is not None else v
            for v in row
        ]
