"""Course review (课程审核): every transition and refusal, history and audit, schedulability, the impact list
(机构变动待处理), tenancy, and the concurrent-decision race."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections

from afterschool.accounts.choices import OrgPermission
from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.courses.choices import DispatchStatus, OfferStatus, ReviewAction
from afterschool.courses.models import CourseOffer, CourseReview
from afterschool.courses.selectors import review as selectors
from afterschool.courses.services import review as services
from afterschool.courses.tests.factories import DispatchFactory, OrgTeacherFactory
from afterschool.courses.tests.factories_review import (
    SUBMITTER,
    fix_partnerships,
    org_course,
    org_staff,
    school_course,
)
from afterschool.tenancy.models import Partnership
from afterschool.tenancy.tests.factories import PartnershipFactory

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 9, 7)


@pytest.fixture
def w(world: Any) -> Any:
    fix_partnerships(world)
    return world


def _submit_org(w: Any, course: Any, *schools: Any) -> list[CourseOffer]:
    ids = [s.pk for s in schools] or [w.school_a.pk]
    return services.course_submit(actor=w.actor("org_a"), course=course, school_ids=ids)


def _actions(offer: CourseOffer) -> list[str]:
    return list(CourseReview.objects.filter(offer=offer).order_by("created_at", "id").values_list("action", flat=True))


# --- submit ---------------------------------------------------------------------------------------


def test_school_admin_submits_own_course_to_own_school(w: Any) -> None:
    course = school_course(w)
    [offer] = services.course_submit(actor=w.actor("school_a"), course=course)
    assert (offer.school, offer.status) == (w.school_a, OfferStatus.SUBMITTED)
    assert offer.submitted_at is not None
    step = CourseReview.objects.get(offer=offer)
    assert (step.action, step.from_status, step.to_status, step.actor_role) == (
        "submit",
        "",
        "submitted",
        "school_admin",
    )
    audit = AuditEvent.objects.get(object_type="courses.courseoffer", object_id=str(offer.pk))
    assert audit.event == "create" and audit.detail["action"] == "submit"


def test_school_course_cannot_be_offered_to_another_school(w: Any) -> None:
    course = school_course(w)
    with pytest.raises(ValidationFailed) as exc:
        services.course_submit(actor=w.actor("school_a"), course=course, school_ids=[w.school_a2.pk])
    assert exc.value.detail == {"school_ids": ["学校自有课程只能提交本校审核"]}
    assert not CourseOffer.objects.exists()


def test_org_admin_submits_to_several_partnered_schools(w: Any) -> None:
    PartnershipFactory(school=w.school_a2, organization=w.org_a, starts_on=dt.date(2020, 1, 1))
    course = org_course(w)
    offers = _submit_org(w, course, w.school_a, w.school_a2)
    assert {o.school for o in offers} == {w.school_a, w.school_a2}
    assert all(o.status == OfferStatus.SUBMITTED for o in offers)
    assert CourseReview.objects.filter(offer__course=course, action="submit").count() == 2


def test_org_cannot_submit_to_school_without_active_partnership_and_the_school_is_named(w: Any) -> None:
    course = org_course(w)
    with pytest.raises(ValidationFailed) as exc:
        _submit_org(w, course, w.school_a, w.school_a2, w.school_b)
    message = exc.value.detail["school_ids"][0]
    assert "海淀二小" in message and "朝阳实验小学" in message and "海淀实验小学" not in message
    assert not CourseOffer.objects.exists()  # all or nothing


def test_org_cannot_submit_to_school_whose_partnership_ended(w: Any) -> None:
    Partnership.objects.filter(school=w.school_a, organization=w.org_a).update(status="ended")
    with pytest.raises(ValidationFailed):
        _submit_org(w, org_course(w), w.school_a)


def test_org_submit_needs_at_least_one_school_and_names_missing_ids(w: Any) -> None:
    course = org_course(w)
    with pytest.raises(ValidationFailed) as exc:
        services.course_submit(actor=w.actor("org_a"), course=course, school_ids=[])
    assert exc.value.detail == {"school_ids": ["请至少选择一所合作学校"]}
    with pytest.raises(ValidationFailed) as exc:
        services.course_submit(actor=w.actor("org_a"), course=course, school_ids=[987654])
    assert "编号 987654（不存在）" in exc.value.detail["school_ids"][0]


def test_course_without_chapters_cannot_be_submitted(w: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _submit_org(w, org_course(w, chapters=0), w.school_a)
    assert exc.value.detail == {"course": ["课程至少要有一个章节才能提交审核"]}
    with pytest.raises(ValidationFailed):
        services.course_submit(actor=w.actor("school_a"), course=school_course(w, chapters=0))


def test_suspended_organization_cannot_submit(w: Any) -> None:
    course = org_course(w)
    w.org_a.status = "suspended"
    w.org_a.save()
    with pytest.raises(ValidationFailed) as exc:
        _submit_org(w, course, w.school_a)
    assert "已暂停" in exc.value.detail["course"][0]


def test_org_staff_needs_course_submit_permission(w: Any) -> None:
    course = org_course(w)
    viewer = org_staff(w, permissions=[OrgPermission.COURSE_VIEW.value], username="viewer")
    with pytest.raises(PermissionDenied):
        services.course_submit(actor=viewer, course=course, school_ids=[w.school_a.pk])
    with pytest.raises(PermissionDenied):  # an org teacher holds no org permission here
        services.course_submit(actor=w.actor("orgteacher_a"), course=course, school_ids=[w.school_a.pk])
    submitter = org_staff(w, permissions=SUBMITTER)
    [offer] = services.course_submit(actor=submitter, course=course, school_ids=[w.school_a.pk])
    assert CourseReview.objects.get(offer=offer).actor_role == "org_staff"


def test_only_the_owner_submits(w: Any) -> None:
    course = org_course(w)
    _submit_org(w, course, w.school_a)
    services.offer_recall(actor=w.actor("org_a"), offer=CourseOffer.objects.get())
    with pytest.raises(PermissionDenied):  # the school sees the offered course but does not own it
        services.course_submit(actor=w.actor("school_a"), course=course, school_ids=[w.school_a.pk])
    with pytest.raises(PermissionDenied):
        services.course_submit(actor=w.actor("bureau_a"), course=course, school_ids=[w.school_a.pk])
    with pytest.raises(NotFound):  # another organization does not even see it
        services.course_submit(actor=w.actor("org_b"), course=course, school_ids=[w.school_b.pk])


def test_submitting_an_open_offer_again_is_refused(w: Any) -> None:
    course = org_course(w)
    _submit_org(w, course, w.school_a)
    with pytest.raises(Conflict) as exc:
        _submit_org(w, course, w.school_a)
    assert "海淀实验小学（待审核）" in exc.value.message


# --- recall and resubmit --------------------------------------------------------------------------


def test_owner_recalls_then_resubmits_the_same_offer(w: Any) -> None:
    course = org_course(w)
    [offer] = _submit_org(w, course, w.school_a)
    recalled = services.offer_recall(actor=w.actor("org_a"), offer=offer)
    assert recalled.status == OfferStatus.RECALLED
    with pytest.raises(Conflict):
        services.offer_recall(actor=w.actor("org_a"), offer=offer)
    [again] = _submit_org(w, course, w.school_a)
    assert again.pk == offer.pk and again.status == OfferStatus.SUBMITTED
    assert _actions(offer) == ["submit", "recall", "submit"]


def test_only_the_owner_recalls(w: Any) -> None:
    [offer] = _submit_org(w, org_course(w), w.school_a)
    with pytest.raises(PermissionDenied):
        services.offer_recall(actor=w.actor("school_a"), offer=offer)
    with pytest.raises(NotFound):
        services.offer_recall(actor=w.actor("school_b"), offer=offer)


def test_approved_offer_cannot_be_recalled(w: Any) -> None:
    [offer] = _submit_org(w, org_course(w), w.school_a)
    services.offer_approve(actor=w.actor("school_a"), offer=offer)
    with pytest.raises(Conflict):
        services.offer_recall(actor=w.actor("org_a"), offer=offer)


# --- decisions ------------------------------------------------------------------------------------


def test_school_admin_approves_an_offer_to_its_school(w: Any) -> None:
    [offer] = _submit_org(w, org_course(w), w.school_a)
    approved = services.offer_approve(actor=w.actor("school_a"), offer=offer, comment="内容充实")
    assert approved.status == OfferStatus.APPROVED
    assert approved.decided_by == w.users["school_a"] and approved.decided_at is not None
    assert approved.comment == "内容充实"
    assert _actions(offer) == ["submit", "approve"]


def test_school_admin_approves_its_own_course(w: Any) -> None:
    [offer] = services.course_submit(actor=w.actor("school_a"), course=school_course(w))
    assert services.offer_approve(actor=w.actor("school_a"), offer=offer).status == OfferStatus.APPROVED


def test_reject_needs_a_comment_and_keeps_it(w: Any) -> None:
    [offer] = _submit_org(w, org_course(w), w.school_a)
    for blank in ("", "   "):
        with pytest.raises(ValidationFailed) as exc:
            services.offer_reject(actor=w.actor("school_a"), offer=offer, comment=blank)
        assert exc.value.detail == {"comment": ["请填写驳回意见"]}
    with pytest.raises(ValidationFailed):
        services.offer_reject(actor=w.actor("school_a"), offer=offer, comment="长" * 501)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.SUBMITTED
    rejected = services.offer_reject(actor=w.actor("school_a"), offer=offer, comment="课时安排不合理")
    assert rejected.status == OfferStatus.REJECTED
    assert CourseReview.objects.get(offer=offer, action="reject").comment == "课时安排不合理"


def test_approve_twice_is_refused_as_already_handled(w: Any) -> None:
    [offer] = _submit_org(w, org_course(w), w.school_a)
    services.offer_approve(actor=w.actor("school_a"), offer=offer)
    with pytest.raises(Conflict) as exc:
        services.offer_approve(actor=w.actor("bureau_a"), offer=offer)
    assert exc.value.status == 409 and "已被他人处理" in exc.value.message
    with pytest.raises(Conflict):
        services.offer_reject(actor=w.actor("school_a"), offer=offer, comment="晚了")
    assert _actions(offer) == ["submit", "approve"]


def test_school_admin_of_another_school_cannot_see_the_offer(w: Any) -> None:
    [offer] = _submit_org(w, org_course(w), w.school_a)
    for key in ("school_a2", "school_b"):
        with pytest.raises(NotFound):
            services.offer_approve(actor=w.actor(key), offer=offer)


def test_bureau_of_the_region_decides_and_another_district_gets_404(w: Any) -> None:
    [offer] = _submit_org(w, org_course(w), w.school_a)
    with pytest.raises(NotFound):
        services.offer_reject(actor=w.actor("bureau_b"), offer=offer, comment="不合格")
    rejected = services.offer_reject(actor=w.actor("bureau_a"), offer=offer, comment="不合格")
    assert rejected.status == OfferStatus.REJECTED
    assert CourseReview.objects.get(offer=offer, action="reject").actor_role == "bureau_admin"
    [again] = _submit_org(w, offer.course, w.school_a)
    assert services.offer_approve(actor=w.actor("system"), offer=again).status == OfferStatus.APPROVED


def test_teacher_parent_student_and_organization_cannot_review(w: Any) -> None:
    [offer] = _submit_org(w, org_course(w), w.school_a)
    for key in ("teacher_a", "parent", "student"):
        with pytest.raises(NotFound):
            services.offer_approve(actor=w.actor(key), offer=offer)
    with pytest.raises(PermissionDenied):
        services.offer_approve(actor=w.actor("org_a"), offer=offer)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.SUBMITTED


# --- withdrawal (bureau, quality supervision) -----------------------------------------------------


def _approved_at(w: Any, *schools: Any) -> tuple[Any, list[CourseOffer]]:
    course = org_course(w)
    offers = _submit_org(w, course, *schools)
    for offer in offers:
        services.offer_approve(actor=w.actor("system"), offer=offer)
    return course, offers


def test_bureau_withdraws_approval_at_one_school(w: Any) -> None:
    PartnershipFactory(school=w.school_a2, organization=w.org_a, starts_on=dt.date(2020, 1, 1))
    course, _ = _approved_at(w, w.school_a, w.school_a2)
    changed = services.course_withdraw(
        actor=w.actor("bureau_a"), course=course, reason="抽查不合格", school_ids=[w.school_a2.pk]
    )
    assert [o.school for o in changed] == [w.school_a2]
    statuses = dict(CourseOffer.objects.values_list("school_id", "status"))
    assert statuses == {w.school_a.pk: "approved", w.school_a2.pk: "withdrawn"}
    step = CourseReview.objects.get(action="withdraw")
    assert (step.from_status, step.to_status, step.comment) == ("approved", "withdrawn", "抽查不合格")


def test_bureau_withdraws_every_approval_of_the_course_at_once(w: Any) -> None:
    PartnershipFactory(school=w.school_a2, organization=w.org_a, starts_on=dt.date(2020, 1, 1))
    course, offers = _approved_at(w, w.school_a, w.school_a2)
    changed = services.course_withdraw(actor=w.actor("bureau_a"), course=course, reason="安全隐患")
    assert len(changed) == 2
    assert set(CourseOffer.objects.values_list("status", flat=True)) == {"withdrawn"}
    assert AuditEvent.objects.filter(object_type="courses.courseoffer", detail__action="withdraw").count() == 2
    # The organization may improve the course and submit it again.
    [again] = _submit_org(w, course, w.school_a)
    assert again.pk == offers[0].pk and _actions(again) == ["submit", "approve", "withdraw", "submit"]


def test_withdrawal_refusals(w: Any) -> None:
    course, _ = _approved_at(w, w.school_a)
    with pytest.raises(ValidationFailed) as exc:
        services.course_withdraw(actor=w.actor("bureau_a"), course=course, reason="  ")
    assert exc.value.detail == {"reason": ["请填写撤销原因"]}
    with pytest.raises(PermissionDenied):
        services.course_withdraw(actor=w.actor("school_a"), course=course, reason="质量差")
    with pytest.raises(PermissionDenied):
        services.course_withdraw(actor=w.actor("org_a"), course=course, reason="质量差")
    with pytest.raises(NotFound):
        services.course_withdraw(actor=w.actor("bureau_b"), course=course, reason="质量差")
    with pytest.raises(ValidationFailed) as exc:
        services.course_withdraw(actor=w.actor("bureau_a"), course=course, reason="质量差", school_ids=[w.school_a2.pk])
    assert "海淀二小" in exc.value.detail["school_ids"][0]
    services.course_withdraw(actor=w.actor("bureau_a"), course=course, reason="质量差")
    with pytest.raises(Conflict):  # nothing approved is left
        services.course_withdraw(actor=w.actor("bureau_a"), course=course, reason="质量差")


def test_school_courses_approval_cannot_be_withdrawn(w: Any) -> None:
    course = school_course(w)
    [offer] = services.course_submit(actor=w.actor("school_a"), course=course)
    services.offer_approve(actor=w.actor("school_a"), offer=offer)
    with pytest.raises(ValidationFailed) as exc:
        services.course_withdraw(actor=w.actor("bureau_a"), course=course, reason="质量差")
    assert exc.value.detail == {"course": ["只能撤销机构课程的审核通过"]}


def test_history_is_kept_and_every_step_is_audited(w: Any) -> None:
    course = org_course(w)
    [offer] = _submit_org(w, course, w.school_a)
    services.offer_reject(actor=w.actor("school_a"), offer=offer, comment="缺少安全预案")
    _submit_org(w, course, w.school_a)
    services.offer_approve(actor=w.actor("school_a"), offer=offer)
    services.course_withdraw(actor=w.actor("bureau_a"), course=course, reason="家长投诉属实")
    steps = list(CourseReview.objects.filter(offer=offer).order_by("created_at", "id"))
    assert [(s.action, s.from_status, s.to_status) for s in steps] == [
        ("submit", "", "submitted"),
        ("reject", "submitted", "rejected"),
        ("submit", "rejected", "submitted"),
        ("approve", "submitted", "approved"),
        ("withdraw", "approved", "withdrawn"),
    ]
    assert steps[1].comment == "缺少安全预案" and steps[4].comment == "家长投诉属实"
    audited = AuditEvent.objects.filter(object_type="courses.courseoffer", object_id=str(offer.pk))
    assert sorted(a.detail["action"] for a in audited) == sorted(
        [ReviewAction.SUBMIT, ReviewAction.REJECT, ReviewAction.SUBMIT, ReviewAction.APPROVE, ReviewAction.WITHDRAW]
    )
    # The history is visible to the school and the organization through the selector, newest first.
    history = selectors.offer_history(actor=w.actor("school_a"), offer=offer)
    assert history[0].action == "withdraw" and history[0].role_label == "教育局管理者"


# --- schedulability -------------------------------------------------------------------------------


def test_schedulable_only_when_approved_for_that_school(w: Any) -> None:
    course = org_course(w)
    reason = selectors.course_schedulable(course=course, school=w.school_a, on=ON)
    assert reason == "课程未提交该校审核，不能排课"
    [offer] = _submit_org(w, course, w.school_a)
    assert "尚待审核" in (selectors.course_schedulable(course=course, school=w.school_a, on=ON) or "")
    services.offer_approve(actor=w.actor("school_a"), offer=offer)
    assert selectors.course_schedulable(course=course, school=w.school_a, on=ON) is None
    selectors.assert_course_schedulable(course=course, school=w.school_a, on=ON)
    # Approved at school_a says nothing about school_a2.
    assert selectors.course_schedulable(course=course, school=w.school_a2, on=ON) is not None


def test_not_schedulable_when_rejected_recalled_or_withdrawn(w: Any) -> None:
    course = org_course(w)
    [offer] = _submit_org(w, course, w.school_a)
    services.offer_recall(actor=w.actor("org_a"), offer=offer)
    assert "撤回" in (selectors.course_schedulable(course=course, school=w.school_a, on=ON) or "")
    _submit_org(w, course, w.school_a)
    services.offer_reject(actor=w.actor("school_a"), offer=offer, comment="不合适")
    assert "驳回" in (selectors.course_schedulable(course=course, school=w.school_a, on=ON) or "")
    _submit_org(w, course, w.school_a)
    services.offer_approve(actor=w.actor("school_a"), offer=offer)
    services.course_withdraw(actor=w.actor("bureau_a"), course=course, reason="质量问题")
    reason = selectors.course_schedulable(course=course, school=w.school_a, on=ON)
    assert reason is not None and "撤销" in reason
    with pytest.raises(ValidationFailed) as exc:
        selectors.assert_course_schedulable(course=course, school=w.school_a, on=ON)
    assert exc.value.detail == {"course": [reason]}


@pytest.mark.parametrize(("status", "word"), [("suspended", "机构已暂停"), ("exited", "机构已退出")])
def test_not_schedulable_when_organization_suspended_or_exited(w: Any, status: str, word: str) -> None:
    course, _ = _approved_at(w, w.school_a)
    w.org_a.status = status
    w.org_a.save()
    reason = selectors.course_schedulable(course=course, school=w.school_a, on=ON)
    assert reason is not None and reason.startswith(word)


def test_not_schedulable_without_a_partnership_covering_the_date(w: Any) -> None:
    course, _ = _approved_at(w, w.school_a)
    partnership = Partnership.objects.get(school=w.school_a, organization=w.org_a)
    partnership.ends_on = dt.date(2026, 8, 31)
    partnership.save()
    assert selectors.course_schedulable(course=course, school=w.school_a, on=dt.date(2026, 8, 31)) is None
    reason = selectors.course_schedulable(course=course, school=w.school_a, on=ON)
    assert reason == "机构“海淀活动中心”与该校在 2026-09-07 没有有效的合作关系"
    assert selectors.course_schedulable(course=course, school=w.school_a, on=dt.date(2019, 12, 31)) is not None
    partnership.ends_on = None
    partnership.status = "ended"
    partnership.save()
    assert selectors.course_schedulable(course=course, school=w.school_a, on=dt.date(2026, 8, 31)) is not None


def test_approved_school_course_is_schedulable_at_its_school(w: Any) -> None:
    course = school_course(w)
    [offer] = services.course_submit(actor=w.actor("school_a"), course=course)
    services.offer_approve(actor=w.actor("school_a"), offer=offer)
    assert selectors.course_schedulable(course=course, school=w.school_a, on=ON) is None
    assert selectors.course_schedulable(course=course, school=w.school_a2, on=ON) is not None


# --- impact list (机构变动待处理) ------------------------------------------------------------------------


def _dispatch(w: Any, *, school: Any, org: Any = None) -> Any:
    teacher = OrgTeacherFactory(organization=org or w.org_a, name="李老师")
    return DispatchFactory(teacher=teacher, school=school)


def test_impact_list_is_empty_while_the_organization_is_in_good_standing(w: Any) -> None:
    _approved_at(w, w.school_a)
    _dispatch(w, school=w.school_a)
    assert selectors.impact_list(actor=w.actor("school_a")) == []


def test_impact_list_shows_approved_courses_and_dispatches_of_a_suspended_organization(w: Any) -> None:
    course, [offer] = _approved_at(w, w.school_a)
    dispatch = _dispatch(w, school=w.school_a)
    cancelled = _dispatch(w, school=w.school_a)
    cancelled.status = DispatchStatus.CANCELLED
    cancelled.save()
    w.org_a.status = "suspended"
    w.org_a.save()
    items = selectors.impact_list(actor=w.actor("school_a"))
    assert [(i.kind, i.reason) for i in items] == [("offer", "机构已暂停"), ("dispatch", "机构已暂停")]
    assert items[0].title == course.name and items[0].url == f"/courses/review/offers/{offer.pk}/"
    assert items[1].obj == dispatch
    assert [i.kind for i in selectors.impact_list(actor=w.actor("school_a"), filters={"kind": "dispatch"})] == [
        "dispatch"
    ]
    # Other schools see nothing of it.
    assert selectors.impact_list(actor=w.actor("school_a2")) == []
    assert selectors.impact_list(actor=w.actor("school_b")) == []
    assert selectors.impact_list(actor=w.actor("teacher_a")) == []


def test_impact_list_shows_what_an_ended_partnership_left_behind(w: Any) -> None:
    _approved_at(w, w.school_a)
    _dispatch(w, school=w.school_a)
    Partnership.objects.filter(school=w.school_a, organization=w.org_a).update(
        status="ended", ends_on=dt.date(2026, 1, 31)
    )
    items = selectors.impact_list(actor=w.actor("school_a"))
    assert {(i.kind, i.reason) for i in items} == {("offer", "合作关系已结束"), ("dispatch", "合作关系已结束")}


def test_bureau_sees_the_impact_list_per_school_of_its_region(w: Any) -> None:
    PartnershipFactory(school=w.school_a2, organization=w.org_a, starts_on=dt.date(2020, 1, 1))
    _approved_at(w, w.school_a, w.school_a2)
    w.org_a.status = "exited"
    w.org_a.save()
    bureau = w.actor("bureau_a")
    assert {i.school for i in selectors.impact_list(actor=bureau)} == {w.school_a, w.school_a2}
    only = selectors.impact_list(actor=bureau, filters={"school": w.school_a2.pk})
    assert [(i.school, i.reason) for i in only] == [(w.school_a2, "机构已退出")]
    assert selectors.impact_list(actor=w.actor("bureau_b")) == []


# --- tenancy: what a school sees ------------------------------------------------------------------


def test_school_never_sees_an_organization_course_not_offered_to_it(w: Any) -> None:
    PartnershipFactory(school=w.school_a2, organization=w.org_a, starts_on=dt.date(2020, 1, 1))
    draft = org_course(w)
    with pytest.raises(NotFound):
        selectors.course_for_review(actor=w.actor("school_a"), course_id=draft.pk)
    offered = org_course(w)
    _submit_org(w, offered, w.school_a)
    assert selectors.course_for_review(actor=w.actor("school_a"), course_id=offered.pk) == offered
    with pytest.raises(NotFound):  # partnered with the organization, but the course was not offered to it
        selectors.course_for_review(actor=w.actor("school_a2"), course_id=offered.pk)
    assert not selectors.offer_list(actor=w.actor("school_a2")).exists()
    assert selectors.review_panel_context(actor=w.actor("school_a2"), course=offered)["review_panel"]["rows"] == []


def test_panel_shows_a_school_only_its_own_offer_and_the_organization_all(w: Any) -> None:
    PartnershipFactory(school=w.school_a2, organization=w.org_a, starts_on=dt.date(2020, 1, 1))
    course = org_course(w)
    _submit_org(w, course, w.school_a, w.school_a2)
    school_panel = selectors.review_panel_context(actor=w.actor("school_a"), course=course)["review_panel"]
    assert [r["offer"].school for r in school_panel["rows"]] == [w.school_a]
    assert school_panel["rows"][0]["can_decide"] and not school_panel["rows"][0]["can_recall"]
    assert not school_panel["can_submit"] and not school_panel["can_withdraw"]
    org_panel = selectors.review_panel_context(actor=w.actor("org_a"), course=course)["review_panel"]
    assert {r["offer"].school for r in org_panel["rows"]} == {w.school_a, w.school_a2}
    assert all(r["can_recall"] and not r["can_decide"] for r in org_panel["rows"])
    assert len(org_panel["rows"][0]["history"]) == 1
    # Both partnered schools have an open offer: nothing is left to submit to.
    assert not org_panel["can_submit"] and org_panel["submit_schools"] == []
    # An org teacher without course_view sees no offers.
    assert selectors.review_panel_context(actor=w.actor("orgteacher_a"), course=course)["review_panel"]["rows"] == []


# --- the race -------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_produce_one_decision_and_one_refusal(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    fix_partnerships(world)
    [offer] = _submit_org(world, org_course(world), world.school_a)
    school, bureau = world.actor("school_a"), world.actor("bureau_a")
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def decide(key: str, actor: Any, approve: bool) -> None:
        try:
            mine = CourseOffer.objects.get(pk=offer.pk)  # both read it as 待审核
            barrier.wait()
            if approve:
                services.offer_approve(actor=actor, offer=mine)
            else:
                services.offer_reject(actor=actor, offer=mine, comment="不合格")
            outcomes[key] = "done"
        except Conflict as exc:
            outcomes[key] = exc
        except BaseException as exc:
            outcomes[key] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=("school", school, True)),
        threading.Thread(target=decide, args=("bureau", bureau, False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results = sorted(outcomes.values(), key=lambda v: v != "done")
    assert results[0] == "done"
    assert isinstance(results[1], Conflict) and "已被他人处理" in results[1].message
    offer.refresh_from_db()
    assert offer.status in (OfferStatus.APPROVED, OfferStatus.REJECTED)
    decisions = CourseReview.objects.filter(offer=offer).exclude(action="submit")
    assert decisions.count() == 1 and decisions.get().to_status == offer.status
