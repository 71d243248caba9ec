"""Pages of course review: the queue (filters, paging, audited export), an offer with its history, submit,
decide, recall, withdraw, the panel on the course page, the impact list; every role's access."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.courses.choices import OfferStatus
from afterschool.courses.models import CourseOffer, CourseReview
from afterschool.courses.services import review as services
from afterschool.courses.tests.factories import DispatchFactory, OrgTeacherFactory
from afterschool.courses.tests.factories_review import fix_partnerships, org_course, school_course
from afterschool.tenancy.tests.factories import PartnershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world: Any) -> Any:
    fix_partnerships(world)
    return world


def _offer(w: Any, course: Any = None, school: Any = None) -> CourseOffer:
    course = course or org_course(w)
    [offer] = services.course_submit(actor=w.actor("org_a"), course=course, school_ids=[(school or w.school_a).pk])
    return offer


def _html(response: Any) -> str:
    return response.content.decode()


def test_review_queue_lists_the_schools_offers_with_decision_buttons(w: Any, login: Any) -> None:
    offer = _offer(w, org_course(w, name="少儿编程"))
    other = org_course(w, org=w.org_b, name="外区机器人")
    services.course_submit(actor=w.actor("org_b"), course=other, school_ids=[w.school_b.pk])
    html = _html(login(w.users["school_a"]).get("/courses/review/"))
    assert "少儿编程" in html and "外区机器人" not in html
    assert f"/courses/review/offers/{offer.pk}/decide/?decision=reject" in html


def test_review_queue_filters_search_paging_and_export(w: Any, login: Any) -> None:
    first = _offer(w, org_course(w, name="少儿编程"))
    _offer(w, org_course(w, name="国画入门", category="arts"))
    services.offer_approve(actor=w.actor("school_a"), offer=first)
    client = login(w.users["bureau_a"])

    def names(**params: Any) -> set[str]:
        html = _html(client.get("/courses/review/", params))
        return set(re.findall(r'<a href="/courses/review/offers/\d+/">([^<]+)</a>', html))

    assert names() == {"少儿编程", "国画入门"}
    assert names(status="approved") == {"少儿编程"}
    assert names(q="国画") == {"国画入门"}
    assert names(school=str(w.school_a.pk), organization=str(w.org_a.pk)) == {"少儿编程", "国画入门"}
    assert names(status="bogus") == {"少儿编程", "国画入门"}  # an unknown filter value is ignored
    assert len(names(page_size="1")) == 1
    response = client.get("/courses/review/", {"export": "xlsx", "status": "approved"})
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "课程" and [r[0] for r in rows[1:]] == ["少儿编程"]
    assert AuditEvent.objects.filter(event="export", detail__what="course_offers").exists()
    htmx = client.get("/courses/review/", {"q": "国画"}, HTTP_HX_REQUEST="true")
    assert "<html" not in _html(htmx) and "国画入门" in _html(htmx)


@pytest.mark.parametrize("key", ["teacher_a", "parent", "student", "orgteacher_a"])
def test_review_queue_is_refused_to_roles_that_do_not_review(w: Any, login: Any, key: str) -> None:
    assert login(w.users[key]).get("/courses/review/").status_code == 403


def test_school_rejects_on_the_decision_page_comment_required(w: Any, login: Any) -> None:
    offer = _offer(w)
    client = login(w.users["school_a"])
    url = f"/courses/review/offers/{offer.pk}/decide/"
    assert re.search(r'value="reject"[^>]*checked', _html(client.get(url, {"decision": "reject"})))
    assert not re.search(r'value="approve"[^>]*checked', _html(client.get(url, {"decision": "reject"})))
    missing = client.post(url, {"decision": "reject", "comment": ""})
    assert missing.status_code == 422 and "驳回时请填写驳回意见" in _html(missing)
    assert client.post(url, {"comment": "x"}).status_code == 422
    done = client.post(url, {"decision": "reject", "comment": "与校本课程重复"})
    assert done.status_code == 302 and done["Location"] == f"/courses/review/offers/{offer.pk}/"
    offer.refresh_from_db()
    assert offer.status == OfferStatus.REJECTED and offer.comment == "与校本课程重复"
    detail = _html(client.get(f"/courses/review/offers/{offer.pk}/"))
    assert "驳回" in detail and "与校本课程重复" in detail and "提交审核" in detail


def test_deciding_an_offer_already_decided_shows_the_conflict(w: Any, login: Any) -> None:
    offer = _offer(w)
    client = login(w.users["school_a"])
    url = f"/courses/review/offers/{offer.pk}/decide/"
    assert client.post(url, {"decision": "approve"}).status_code == 302
    again = client.post(url, {"decision": "approve"})
    assert again.status_code == 409 and "已被他人处理" in _html(again)
    assert CourseReview.objects.filter(offer=offer, action="approve").count() == 1


def test_decision_pages_cross_tenant_404_and_org_403(w: Any, login: Any) -> None:
    offer = _offer(w)
    for key in ("school_a2", "school_b", "bureau_b", "teacher_a", "parent"):
        client = login(w.users[key])
        assert client.get(f"/courses/review/offers/{offer.pk}/").status_code == 404, key
        assert client.post(f"/courses/review/offers/{offer.pk}/decide/", {"decision": "approve"}).status_code == 404
    org = login(w.users["org_a"])
    assert org.get(f"/courses/review/offers/{offer.pk}/").status_code == 200
    assert org.post(f"/courses/review/offers/{offer.pk}/decide/", {"decision": "approve"}).status_code == 403
    assert (
        login(w.users["bureau_a"])
        .post(f"/courses/review/offers/{offer.pk}/decide/", {"decision": "approve"})
        .status_code
        == 302
    )


def test_org_submits_through_the_page_choosing_partnered_schools(w: Any, login: Any) -> None:
    PartnershipFactory(school=w.school_a2, organization=w.org_a, starts_on=dt.date(2020, 1, 1))
    course = org_course(w)
    client = login(w.users["org_a"])
    url = f"/courses/review/courses/{course.pk}/submit/"
    page = _html(client.get(url))
    assert "海淀实验小学" in page and "海淀二小" in page and "朝阳实验小学" not in page
    none = client.post(url, {})
    assert none.status_code == 422 and "请至少选择一所学校" in _html(none)
    outsider = client.post(url, {"schools": [str(w.school_b.pk)]})
    assert outsider.status_code == 422 and not CourseOffer.objects.exists()
    done = client.post(url, {"schools": [str(w.school_a.pk), str(w.school_a2.pk)]})
    assert done.status_code == 302 and done["Location"] == f"/courses/{course.pk}/"
    assert CourseOffer.objects.filter(course=course, status="submitted").count() == 2
    # The other roles may not submit it.
    assert login(w.users["school_a"]).post(url, {"schools": [str(w.school_a.pk)]}).status_code == 403
    assert login(w.users["org_b"]).get(url).status_code == 404


def test_submit_page_refuses_a_course_without_chapters(w: Any, login: Any) -> None:
    course = school_course(w, chapters=0)
    client = login(w.users["school_a"])
    url = f"/courses/review/courses/{course.pk}/submit/"
    assert "至少要有一个章节" in _html(client.get(url))
    refused = client.post(url, {})
    assert refused.status_code == 422 and "至少要有一个章节" in _html(refused)
    assert not CourseOffer.objects.exists()


def test_recall_goes_through_a_confirmation_page(w: Any, login: Any) -> None:
    offer = _offer(w)
    client = login(w.users["org_a"])
    url = f"/courses/review/offers/{offer.pk}/recall/"
    assert "确认撤回" in _html(client.get(url))
    assert client.post(url).status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.RECALLED
    again = client.post(url)
    assert again.status_code == 409 and "只有待审核的提交可以撤回" in _html(again)
    assert login(w.users["school_a"]).post(url).status_code == 403


def test_bureau_withdraws_on_the_withdrawal_page(w: Any, login: Any) -> None:
    offer = _offer(w)
    services.offer_approve(actor=w.actor("school_a"), offer=offer)
    client = login(w.users["bureau_a"])
    url = f"/courses/review/courses/{offer.course_id}/withdraw/"
    assert "海淀实验小学" in _html(client.get(url))
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 422 and "请填写撤销原因" in _html(missing)
    done = client.post(url, {"reason": "抽查不合格", "schools": [str(w.school_a.pk)]})
    assert done.status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN and offer.comment == "抽查不合格"
    assert login(w.users["school_a"]).get(url).status_code == 403
    assert login(w.users["bureau_b"]).get(url).status_code == 404


def test_course_page_panel_shows_offers_history_and_buttons(w: Any, login: Any) -> None:
    PartnershipFactory(school=w.school_a2, organization=w.org_a, starts_on=dt.date(2020, 1, 1))
    course = org_course(w)
    org = login(w.users["org_a"])
    draft = _html(org.get(f"/courses/{course.pk}/"))
    assert "草稿：尚未提交审核" in draft and f'action="/courses/review/courses/{course.pk}/submit/"' in draft
    offer = _offer(w, course)
    page = _html(org.get(f"/courses/{course.pk}/"))
    assert f"/courses/review/offers/{offer.pk}/recall/" in page and "海淀二小" in page  # still submittable there
    school_page = _html(login(w.users["school_a"]).get(f"/courses/{course.pk}/"))
    assert f"/courses/review/offers/{offer.pk}/decide/?decision=approve" in school_page
    assert "审核记录（1）" in school_page and "recall/" not in school_page


def test_impact_page_lists_what_a_suspended_organization_left_behind(w: Any, login: Any) -> None:
    offer = _offer(w, org_course(w, name="少儿编程"))
    services.offer_approve(actor=w.actor("school_a"), offer=offer)
    DispatchFactory(teacher=OrgTeacherFactory(organization=w.org_a, name="王老师"), school=w.school_a)
    client = login(w.users["school_a"])
    assert "没有需要处理的事项" in _html(client.get("/courses/review/impact/"))
    w.org_a.status = "suspended"
    w.org_a.save()
    html = _html(client.get("/courses/review/impact/"))
    assert "少儿编程" in html and "王老师" in html and "机构已暂停" in html
    assert f'href="/courses/review/offers/{offer.pk}/"' in html and "排课功能上线后" in html
    only = _html(client.get("/courses/review/impact/", {"kind": "offer"}))
    assert "少儿编程" in only and "王老师" not in only
    export = client.get("/courses/review/impact/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("学校", "类型", "机构", "内容", "原因") and len(rows) == 3
    assert AuditEvent.objects.filter(event="export", detail__what="course_impact").exists()
    assert "少儿编程" not in _html(login(w.users["school_a2"]).get("/courses/review/impact/"))
    bureau = login(w.users["bureau_a"])
    assert "少儿编程" in _html(bureau.get("/courses/review/impact/", {"school": str(w.school_a.pk)}))
    assert "少儿编程" not in _html(bureau.get("/courses/review/impact/", {"school": str(w.school_a2.pk)}))
    for key in ("teacher_a", "org_a", "parent"):
        assert login(w.users[key]).get("/courses/review/impact/").status_code == 403
