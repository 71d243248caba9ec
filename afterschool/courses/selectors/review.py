"""Reads of course offers (课程审核) and their history, who may do what with them, whether a course can be
scheduled at a school on a date, and the school's list of what an organization's suspension, exit or end of
partnership left behind (机构变动待处理).

Who reads offers: the system admin; the bureau of the region (offers to its schools); a school admin (offers to
its school — never an organization's course that was not offered to it); an organization's actors holding
`org.course_view` (the offers of its own courses). Teachers, parents and students see none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse

from afterschool.accounts.choices import ORG_ROLES, OrgPermission, Role
from afterschool.core.errors import ValidationFailed
from afterschool.core.timeutil import local_today
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.choices import OrganizationStatus, PartnershipStatus
from afterschool.tenancy.models import Organization, Partnership, School
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

from ..choices import DispatchStatus, OfferStatus
from ..models import Course, CourseOffer, CourseReview, Dispatch

# Statuses from which the owner may (re)submit an offer.
RESUBMITTABLE = (OfferStatus.REJECTED, OfferStatus.RECALLED, OfferStatus.WITHDRAWN)
# Statuses in which an offer is "in play" and cannot be submitted again.
OPEN_STATUSES = (OfferStatus.SUBMITTED, OfferStatus.APPROVED)

_ORG_GONE = {OrganizationStatus.SUSPENDED: "机构已暂停", OrganizationStatus.EXITED: "机构已退出"}


# --- who may do what ----------------------------------------------------------------------------------------------


def can_read_offers(actor: Actor) -> bool:
    if actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN):
        return True
    return actor.has_role(*ORG_ROLES) and actor.has_org_permission(OrgPermission.COURSE_VIEW)


def can_submit(actor: Actor, course: Course) -> bool:
    """The owner submits: a school admin its school's course; an org admin (or org actor with course_submit) its
    organization's course; the system admin either."""
    if actor.is_system_admin:
        return True
    if course.owner_school_id is not None:
        return actor.has_role(Role.SCHOOL_ADMIN) and actor.school_id == course.owner_school_id
    return (
        actor.has_role(*ORG_ROLES)
        and actor.organization_id == course.owner_organization_id
        and actor.has_org_permission(OrgPermission.COURSE_SUBMIT)
    )


def can_decide(actor: Actor, offer: CourseOffer) -> bool:
    """The school admin of the offer's school, the bureau of its region (scope checked by the caller's lookup), or
    the system admin approve or reject."""
    if actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN):
        return True
    return actor.has_role(Role.SCHOOL_ADMIN) and actor.school_id == offer.school_id


def can_withdraw(actor: Actor, course: Course) -> bool:
    """Only the bureau (or the system admin) withdraws approval, and only of an organization's course (§5.1.2)."""
    return course.is_organization_course and (actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN))


# --- offers ---------------------------------------------------------------------------------------------------------


def _offers(actor: Actor) -> QuerySet[CourseOffer]:
    qs = CourseOffer.objects.select_related(
        "course", "course__owner_school", "course__owner_organization", "school", "decided_by"
    )
    if not can_read_offers(actor):
        return qs.none()
    return scoped(qs, actor)


def offer_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[CourseOffer]:
    filters = filters or {}
    qs = _offers(actor)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(course__name__icontains=q)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("school"):
        qs = qs.filter(school_id=filters["school"])
    if filters.get("organization"):
        qs = qs.filter(course__owner_organization_id=filters["organization"])
    if filters.get("category"):
        qs = qs.filter(course__category=filters["category"])
    if filters.get("course"):
        qs = qs.filter(course_id=filters["course"])
    return qs.order_by("-submitted_at", "-id")


def offer_get(*, actor: Actor, offer_id: Any) -> CourseOffer:
    return get_scoped_or_404(_offers(actor), actor, pk=offer_id)


def offer_history(*, actor: Actor, offer: CourseOffer) -> list[CourseReview]:
    """The review steps of an offer, newest first (the offer was loaded through `offer_get`); each carries
    `role_label`, the Chinese name of the role it was taken in."""
    labels = {str(v): str(label) for v, label in Role.choices}
    steps = list(scoped(CourseReview.objects.select_related("actor"), actor).filter(offer_id=offer.pk))
    for step in steps:
        step.role_label = labels.get(step.actor_role, "系统" if step.actor_role == "system" else step.actor_role)  # type: ignore[attr-defined]
    return steps


def offer_school_choices(*, actor: Actor) -> list[tuple[str, str]]:
    ids = _offers(actor).values("school_id")
    return [(str(s.pk), s.name) for s in School.objects.filter(pk__in=ids).order_by("code")]


def offer_organization_choices(*, actor: Actor) -> list[tuple[str, str]]:
    ids = _offers(actor).values("course__owner_organization_id")
    return [(str(o.pk), o.name) for o in Organization.objects.filter(pk__in=ids).order_by("name")]


def course_for_review(*, actor: Actor, course_id: Any) -> Course:
    """The course, if the actor sees it at all (the services decide what the actor may do with it)."""
    qs = Course.objects.select_related("owner_school", "owner_organization")
    return get_scoped_or_404(qs, actor, pk=course_id)


# --- partnerships and schedulability --------------------------------------------------------------------------------


def partnership_active_q(on: dt.date, *, prefix: str = "") -> Q:
    """A partnership in force on `on`: status active, started, not yet ended."""
    return Q(**{f"{prefix}status": PartnershipStatus.ACTIVE, f"{prefix}starts_on__lte": on}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": on})
    )


def partnered_schools(*, organization_id: int, on: dt.date | None = None) -> QuerySet[School]:
    """Schools the organization has a partnership in force with (today by default)."""
    on = on or local_today()
    ids = Partnership.objects.filter(partnership_active_q(on), organization_id=organization_id).values("school_id")
    return School.objects.filter(pk__in=ids).order_by("code")


def submit_school_choices(*, actor: Actor, course: Course) -> QuerySet[School]:
    """The schools the course may be (re)submitted to now: partnered schools without an open offer."""
    if course.owner_school_id is not None:
        schools = School.objects.filter(pk=course.owner_school_id)
    else:
        assert course.owner_organization_id is not None
        schools = partnered_schools(organization_id=course.owner_organization_id)
    open_ids = CourseOffer.objects.filter(course=course, status__in=OPEN_STATUSES).values("school_id")
    return schools.exclude(pk__in=open_ids)


def withdraw_school_choices(*, actor: Actor, course: Course) -> QuerySet[School]:
    """Schools (within the actor's view) where the course is approved now."""
    ids = offer_list(actor=actor, filters={"course": course.pk, "status": OfferStatus.APPROVED}).values("school_id")
    return School.objects.filter(pk__in=ids).order_by("code")


def course_url(course_id: int) -> str | None:
    """The course's page in the catalogue (None while that page does not exist)."""
    return _url("courses:course_detail", course_id)


_OFFER_REASON = {
    OfferStatus.SUBMITTED: "课程在该校尚待审核，审核通过后才能排课",
    OfferStatus.REJECTED: "课程在该校的审核已被驳回",
    OfferStatus.RECALLED: "课程已撤回提交，未在该校审核通过",
    OfferStatus.WITHDRAWN: "教育局已撤销该课程在该校的审核通过（课程质量监管）",
}


def course_schedulable(*, course: Course, school: School, on: dt.date) -> str | None:
    """None when `course` can be scheduled at `school` on `on`, else the reason why not (Chinese).

    Needs an approved offer to that school; for an organization's course also an active (not suspended or exited)
    organization and a partnership with the school in force on that date.
    """
    offer = CourseOffer.objects.filter(course_id=course.pk, school_id=school.pk).first()
    if offer is None:
        return "课程未提交该校审核，不能排课"
    if offer.status != OfferStatus.APPROVED:
        return _OFFER_REASON.get(OfferStatus(offer.status), "课程未在该校审核通过")
    if course.owner_organization_id is None:
        return None
    organization = Organization.objects.get(pk=course.owner_organization_id)
    if organization.status != OrganizationStatus.ACTIVE:
        gone = _ORG_GONE.get(OrganizationStatus(organization.status), "机构尚未入驻")
        return f"{gone}（{organization.name}），其课程不能排课"
    in_force = Partnership.objects.filter(
        partnership_active_q(on), organization_id=organization.pk, school_id=school.pk
    ).exists()
    if not in_force:
        return f"机构“{organization.name}”与该校在 {on.isoformat()} 没有有效的合作关系"
    return None


def assert_course_schedulable(*, course: Course, school: School, on: dt.date) -> None:
    """For scheduling services: refuse with the reason as a field error on `course`."""
    reason = course_schedulable(course=course, school=school, on=on)
    if reason is not None:
        raise ValidationFailed({"course": [reason]})


# --- impact of an organization's suspension, exit or end of partnership (机构变动待处理) ---------------------


@dataclass(frozen=True)
class ImpactItem:
    kind: str  # "offer" | "dispatch"
    kind_label: str
    school: School
    organization: Organization
    title: str
    reason: str
    url: str | None
    obj: Any


def _gone_reason(organization: Organization, school_id: int, today: dt.date) -> str | None:
    if organization.status in _ORG_GONE:
        return _ORG_GONE[OrganizationStatus(organization.status)]
    if organization.status != OrganizationStatus.ACTIVE:
        return "机构尚未入驻"
    in_force = Partnership.objects.filter(
        partnership_active_q(today), organization_id=organization.pk, school_id=school_id
    ).exists()
    if not in_force:
        return "合作关系已结束"
    return None


def _url(name: str, pk: int) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def can_read_impact(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)


def impact_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> list[ImpactItem]:
    """Approved offers and active dispatches at the actor's schools from organizations that are suspended or
    exited, or whose partnership with the school is no longer in force today; each with the reason."""
    filters = filters or {}
    if not can_read_impact(actor):
        return []
    today = local_today()
    offer_qs = (
        scoped(CourseOffer.objects.all(), actor)
        .filter(status=OfferStatus.APPROVED, course__owner_organization__isnull=False)
        .select_related("course", "course__owner_organization", "school")
        .annotate(
            in_force=Exists(
                Partnership.objects.filter(
                    partnership_active_q(today),
                    organization_id=OuterRef("course__owner_organization_id"),
                    school_id=OuterRef("school_id"),
                )
            )
        )
        .filter(Q(course__owner_organization__status__in=list(_ORG_GONE)) | Q(in_force=False))
    )
    dispatch_qs = (
        scoped(Dispatch.objects.all(), actor)
        .filter(status=DispatchStatus.ACTIVE)
        .select_related("organization", "teacher", "school")
        .annotate(
            in_force=Exists(
                Partnership.objects.filter(
                    partnership_active_q(today),
                    organization_id=OuterRef("organization_id"),
                    school_id=OuterRef("school_id"),
                )
            )
        )
        .filter(Q(organization__status__in=list(_ORG_GONE)) | Q(in_force=False))
    )
    if filters.get("school"):
        offer_qs = offer_qs.filter(school_id=filters["school"])
        dispatch_qs = dispatch_qs.filter(school_id=filters["school"])
    q = (filters.get("q") or "").strip()
    if q:
        offer_qs = offer_qs.filter(Q(course__name__icontains=q) | Q(course__owner_organization__name__icontains=q))
        dispatch_qs = dispatch_qs.filter(Q(teacher__name__icontains=q) | Q(organization__name__icontains=q))
    kind = filters.get("kind")
    items: list[ImpactItem] = []
    if kind in (None, "", "offer"):
        for offer in offer_qs.order_by("school__code", "course__name", "id"):
            organization = offer.course.owner_organization
            assert organization is not None
            items.append(
                ImpactItem(
                    kind="offer",
                    kind_label="已通过的课程",
                    school=offer.school,
                    organization=organization,
                    title=offer.course.name,
                    reason=_gone_reason(organization, offer.school_id, today) or "合作关系已结束",
                    url=_url("courses:offer_detail", offer.pk),
                    obj=offer,
                )
            )
    if kind in (None, "", "dispatch"):
        for dispatch in dispatch_qs.order_by("school__code", "teacher__name", "id"):
            items.append(
                ImpactItem(
                    kind="dispatch",
                    kind_label="外派教师",
                    school=dispatch.school,
                    organization=dispatch.organization,
                    title=f"{dispatch.teacher.name}（{dispatch.starts_on:%Y-%m-%d} 至 {dispatch.ends_on:%Y-%m-%d}）",
                    reason=_gone_reason(dispatch.organization, dispatch.school_id, today) or "合作关系已结束",
                    url=_url("courses:dispatch_detail", dispatch.pk),
                    obj=dispatch,
                )
            )
    return items


def impact_school_choices(*, actor: Actor) -> list[tuple[str, str]]:
    if not can_read_impact(actor):
        return []
    return [(str(s.pk), s.name) for s in scoped(School.objects.all(), actor).order_by("code")]


# --- the panel on a course's page -----------------------------------------------------------------------------------


def review_panel_context(*, actor: Actor, course: Course) -> dict[str, Any]:
    """What the review panel on a course's page shows to this actor (offers, history, allowed actions)."""
    offers = list(offer_list(actor=actor, filters={"course": course.pk}).order_by("school__code"))
    rows = []
    for offer in offers:
        decidable = offer.status == OfferStatus.SUBMITTED and can_decide(actor, offer)
        rows.append(
            {
                "offer": offer,
                "history": offer_history(actor=actor, offer=offer),
                "can_decide": decidable,
                "can_recall": offer.status == OfferStatus.SUBMITTED and can_submit(actor, course),
            }
        )
    may_submit = can_submit(actor, course)
    submit_schools = list(submit_school_choices(actor=actor, course=course)) if may_submit else []
    may_withdraw = can_withdraw(actor, course) and any(o.status == OfferStatus.APPROVED for o in offers)
    return {
        "review_panel": {
            "course": course,
            "rows": rows,
            "can_read": can_read_offers(actor),
            "can_submit": may_submit and bool(submit_schools),
            "is_organization_course": course.is_organization_course,
            "has_chapters": course.chapters.exists(),
            "submit_schools": submit_schools,
            "can_withdraw": may_withdraw,
        }
    }
