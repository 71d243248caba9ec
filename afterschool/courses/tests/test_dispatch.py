"""Teacher dispatch (外派, §5.5.2): creation rules, changes, cancellation, who sees what, the race between two
overlapping creates, and `teacher_may_teach` — through services, pages and the API."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse

from afterschool.accounts.choices import OrgPermission
from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import UserFactory
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.courses.choices import BackgroundCheck, DispatchStatus
from afterschool.courses.models import Dispatch, OrgTeacher
from afterschool.courses.selectors import dispatch as selectors
from afterschool.courses.services import dispatch as services
from afterschool.courses.tests.factories import DispatchFactory, OrgTeacherFactory
from afterschool.schools.tests.factories import StaffFactory
from afterschool.tenancy.models import Partnership
from afterschool.tenancy.tests.factories import PartnershipFactory

API = "/api/v1/courses"
D = dt.date


@pytest.fixture
def setup(world: Any) -> Any:
    Partnership.objects.update(starts_on=D(2026, 1, 1), ends_on=None)
    world.teacher = OrgTeacherFactory(organization=world.org_a, user=world.users["orgteacher_a"])
    return world


def _data(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "teacher": world.teacher,
        "school": world.school_a,
        "starts_on": D(2026, 9, 1),
        "ends_on": D(2027, 1, 15),
        "course_categories": ["arts", "science"],
    }
    data.update(overrides)
    return data


def _grant(world: Any, key: str, *codes: str) -> None:
    membership = world.membership(key)
    membership.permissions = list(codes)
    membership.save()


# --- create ------------------------------------------------------------------------------------------


def test_given_valid_input_when_org_admin_dispatches_then_active_and_audited(setup: Any) -> None:
    dispatch = services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))
    assert dispatch.status == DispatchStatus.ACTIVE and dispatch.organization == setup.org_a
    assert dispatch.course_categories == ["arts", "science"] and dispatch.created_by == setup.users["org_a"]
    assert AuditEvent.objects.filter(event="create", object_type="courses.dispatch").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"is_active": False}, "teacher"),
        ({"background_check": BackgroundCheck.PENDING}, "teacher"),
        ({"background_check": BackgroundCheck.FAILED}, "teacher"),
    ],
)
def test_given_unfit_teacher_when_dispatching_then_refused(setup: Any, change: dict[str, Any], field: str) -> None:
    OrgTeacher.objects.filter(pk=setup.teacher.pk).update(**change)
    with pytest.raises(ValidationFailed) as exc:
        services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))
    assert field in exc.value.detail


def test_given_other_orgs_teacher_when_dispatching_then_refused(setup: Any) -> None:
    other = OrgTeacherFactory(organization=setup.org_b)
    with pytest.raises(ValidationFailed) as exc:
        services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup, teacher=other))
    assert exc.value.detail["teacher"] == ["教师不存在或不属于本机构"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": D(2026, 8, 1)}, "ends_on"),
        ({"course_categories": []}, "course_categories"),
        ({"course_categories": ["cooking"]}, "course_categories"),
        ({"starts_on": None}, "starts_on"),
    ],
)
def test_given_bad_period_or_categories_when_dispatching_then_refused(
    setup: Any, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup, **overrides))
    assert field in exc.value.detail


def test_given_school_without_partnership_when_dispatching_then_refused(setup: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup, school=setup.school_a2))
    assert "school" in exc.value.detail


@pytest.mark.parametrize(
    ("partnership", "ok"),
    [
        ({"starts_on": D(2026, 9, 2)}, False),  # starts after the dispatch
        ({"ends_on": D(2026, 12, 31)}, False),  # ends before the dispatch
        ({"status": "ended"}, False),
        ({"starts_on": D(2026, 9, 1), "ends_on": D(2027, 1, 15)}, True),  # exactly covers
    ],
)
def test_given_partnership_period_when_dispatching_then_must_cover_whole_period(
    setup: Any, partnership: dict[str, Any], ok: bool
) -> None:
    Partnership.objects.filter(school=setup.school_a).update(**partnership)
    if ok:
        services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))
    else:
        with pytest.raises(ValidationFailed):
            services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))


def test_given_active_dispatch_when_overlapping_create_then_refused_but_cancelled_or_adjacent_allowed(
    setup: Any,
) -> None:
    actor = setup.actor("org_a")
    first = services.dispatch_create(actor=actor, data=_data(setup))
    with pytest.raises(ValidationFailed) as exc:
        services.dispatch_create(actor=actor, data=_data(setup, starts_on=D(2027, 1, 15), ends_on=D(2027, 3, 1)))
    assert "重叠" in exc.value.detail["starts_on"][0]
    services.dispatch_create(actor=actor, data=_data(setup, starts_on=D(2027, 1, 16), ends_on=D(2027, 3, 1)))
    services.dispatch_cancel(actor=actor, dispatch=first, reason="调整")
    services.dispatch_create(actor=actor, data=_data(setup))
    # another school is no overlap
    PartnershipFactory(school=setup.school_a2, organization=setup.org_a, starts_on=D(2026, 1, 1))
    services.dispatch_create(actor=actor, data=_data(setup, school=setup.school_a2))


def test_given_suspended_org_when_dispatching_then_refused(setup: Any) -> None:
    setup.org_a.status = "suspended"
    setup.org_a.save()
    with pytest.raises(ValidationFailed):
        services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))


@pytest.mark.parametrize("key", ["bureau_a", "school_a", "orgteacher_a", "teacher_a"])
def test_given_non_manager_when_dispatching_then_permission_denied(setup: Any, key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.dispatch_create(actor=setup.actor(key), data=_data(setup))


def test_given_org_teacher_with_dispatch_manage_when_dispatching_then_allowed(setup: Any) -> None:
    _grant(setup, "orgteacher_a", OrgPermission.DISPATCH_MANAGE)
    assert services.dispatch_create(actor=setup.actor("orgteacher_a"), data=_data(setup)).pk


def test_given_system_admin_when_dispatching_then_teachers_org_used(setup: Any) -> None:
    dispatch = services.dispatch_create(actor=setup.actor("system"), data=_data(setup))
    assert dispatch.organization == setup.org_a


# --- change and cancel -------------------------------------------------------------------------------


def test_given_active_dispatch_when_changing_categories_and_end_then_saved_and_audited(setup: Any) -> None:
    actor = setup.actor("org_a")
    dispatch = services.dispatch_create(actor=actor, data=_data(setup))
    services.dispatch_update(
        actor=actor, dispatch=dispatch, data={"course_categories": ["sports"], "ends_on": D(2026, 12, 31)}
    )
    dispatch.refresh_from_db()
    assert dispatch.course_categories == ["sports"] and dispatch.ends_on == D(2026, 12, 31)
    assert AuditEvent.objects.filter(event="update", object_type="courses.dispatch").exists()


def test_given_dispatch_when_extending_beyond_partnership_or_before_start_then_refused(setup: Any) -> None:
    actor = setup.actor("org_a")
    dispatch = services.dispatch_create(actor=actor, data=_data(setup))
    Partnership.objects.filter(school=setup.school_a).update(ends_on=D(2027, 2, 1))
    with pytest.raises(ValidationFailed) as exc:
        services.dispatch_update(actor=actor, dispatch=dispatch, data={"ends_on": D(2027, 3, 1)})
    assert "合作期限" in exc.value.detail["ends_on"][0]
    with pytest.raises(ValidationFailed):
        services.dispatch_update(actor=actor, dispatch=dispatch, data={"ends_on": D(2026, 8, 1)})
    with pytest.raises(ValidationFailed):
        services.dispatch_update(actor=actor, dispatch=dispatch, data={"course_categories": []})


def test_given_dispatch_when_extending_into_another_then_refused(setup: Any) -> None:
    actor = setup.actor("org_a")
    dispatch = services.dispatch_create(actor=actor, data=_data(setup, ends_on=D(2026, 12, 31)))
    services.dispatch_create(actor=actor, data=_data(setup, starts_on=D(2027, 2, 1), ends_on=D(2027, 6, 1)))
    with pytest.raises(ValidationFailed):
        services.dispatch_update(actor=actor, dispatch=dispatch, data={"ends_on": D(2027, 2, 1)})


def test_given_active_dispatch_when_cancelling_then_cancelled_once_with_reason(setup: Any) -> None:
    actor = setup.actor("org_a")
    dispatch = services.dispatch_create(actor=actor, data=_data(setup))
    with pytest.raises(ValidationFailed):
        services.dispatch_cancel(actor=actor, dispatch=dispatch, reason="  ")
    services.dispatch_cancel(actor=actor, dispatch=dispatch, reason="学校调整课表")
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.CANCELLED and dispatch.cancel_reason == "学校调整课表"
    assert dispatch.cancelled_at is not None
    with pytest.raises(Conflict):
        services.dispatch_cancel(actor=actor, dispatch=dispatch, reason="again")
    with pytest.raises(Conflict):
        services.dispatch_update(actor=actor, dispatch=dispatch, data={"course_categories": ["arts"]})


def test_given_other_org_or_school_when_changing_then_not_found_or_denied(setup: Any) -> None:
    dispatch = services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))
    with pytest.raises(NotFound):
        services.dispatch_cancel(actor=setup.actor("org_b"), dispatch=dispatch, reason="x")
    with pytest.raises(PermissionDenied):
        services.dispatch_cancel(actor=setup.actor("school_a"), dispatch=dispatch, reason="x")


# --- reads --------------------------------------------------------------------------------------------------


def test_given_dispatches_when_each_role_lists_then_scoped(setup: Any) -> None:
    mine = services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))
    colleague = OrgTeacherFactory(organization=setup.org_a)
    theirs = DispatchFactory(teacher=colleague, school=setup.school_a, starts_on=D(2026, 9, 1))
    other = DispatchFactory(teacher=OrgTeacherFactory(organization=setup.org_b), school=setup.school_b)

    def ids(key: str) -> set[int]:
        return {d.pk for d in selectors.dispatch_list(actor=setup.actor(key))}

    assert ids("org_a") == {mine.pk, theirs.pk}
    assert ids("org_b") == {other.pk}
    assert ids("school_a") == {mine.pk, theirs.pk}
    assert ids("school_a2") == set()
    assert ids("bureau_a") == {mine.pk, theirs.pk}
    assert ids("bureau_b") == {other.pk}
    assert ids("orgteacher_a") == {mine.pk}
    assert ids("teacher_a") == set() and ids("parent") == set()
    with pytest.raises(NotFound):
        selectors.dispatch_get(actor=setup.actor("org_b"), dispatch_id=mine.pk)


def test_given_filters_when_listing_then_narrowed(setup: Any) -> None:
    actor = setup.actor("org_a")
    d1 = services.dispatch_create(actor=actor, data=_data(setup, ends_on=D(2026, 12, 31)))
    d2 = services.dispatch_create(actor=actor, data=_data(setup, starts_on=D(2027, 2, 1), ends_on=D(2027, 6, 1)))
    services.dispatch_cancel(actor=actor, dispatch=d2, reason="x")
    assert list(selectors.dispatch_list(actor=actor, filters={"status": "active"})) == [d1]
    assert list(selectors.dispatch_list(actor=actor, filters={"date": "2027-03-01"})) == [d2]
    assert list(selectors.dispatch_list(actor=actor, filters={"date": "bad"})) == [d2, d1]
    assert (
        list(selectors.dispatch_list(actor=actor, filters={"teacher": setup.teacher.pk, "school": setup.school_b.pk}))
        == []
    )


# --- teacher_may_teach -----------------------------------------------------------------------------------


def _may(setup: Any, user: Any, **kw: Any) -> str | None:
    args = {"school": setup.school_a, "user": user, "starts_on": D(2026, 10, 1), "ends_on": D(2026, 10, 1)}
    args.update(kw)
    return services.teacher_may_teach(**args)


def test_teacher_may_teach_every_branch(setup: Any) -> None:
    user = setup.users["orgteacher_a"]
    assert _may(setup, None) == "未指定授课人账号"
    assert "早于" in (_may(setup, user, starts_on=D(2026, 10, 2)) or "")
    staff_user = UserFactory()
    StaffFactory(school=setup.school_a, user=staff_user)
    assert _may(setup, staff_user) is None
    assert _may(setup, staff_user, school=setup.school_a2) == "该账号既不是本校教职工，也不是机构教师"
    assert _may(setup, user) == "该教师没有外派到本校"
    dispatch = services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))
    assert _may(setup, user) is None
    assert _may(setup, user, category="arts") is None
    assert "体育" in (_may(setup, user, category="sports") or "")
    assert _may(setup, user, ends_on=D(2027, 2, 1)) == "该教师的外派期限未覆盖该时间段"
    assert _may(setup, user, starts_on=D(2026, 8, 1)) == "该教师的外派期限未覆盖该时间段"
    assert _may(setup, user, school=setup.school_a2) == "该教师没有外派到本校"
    setup.org_a.status = "suspended"
    setup.org_a.save()
    assert _may(setup, user) == "该教师所属机构不在入驻状态"
    setup.org_a.status = "active"
    setup.org_a.save()
    services.dispatch_cancel(actor=setup.actor("org_a"), dispatch=dispatch, reason="x")
    assert _may(setup, user) == "该教师没有外派到本校"
    OrgTeacher.objects.filter(pk=setup.teacher.pk).update(is_active=False)
    assert _may(setup, user) == "该机构教师已停用"


def test_given_inactive_staff_when_checking_then_not_allowed(setup: Any) -> None:
    staff_user = UserFactory()
    StaffFactory(school=setup.school_a, user=staff_user, is_active=False)
    assert _may(setup, staff_user) is not None


# --- the race ---------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_simultaneous_overlapping_creates_then_only_one_succeeds(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    Partnership.objects.update(starts_on=D(2026, 1, 1), ends_on=None)
    teacher = OrgTeacherFactory(organization=world.org_a)
    barrier = threading.Barrier(2)
    results: list[str] = []
    actor = world.actor("org_a")

    def worker(start: dt.date) -> None:
        try:
            barrier.wait()
            services.dispatch_create(
                actor=actor,
                data={
                    "teacher": teacher.pk,
                    "school": world.school_a.pk,
                    "starts_on": start,
                    "ends_on": D(2027, 1, 1),
                    "course_categories": ["arts"],
                },
            )
            results.append("ok")
        except ValidationFailed:
            results.append("refused")
        except BaseException as exc:  # pragma: no cover - shown in the assertion
            results.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(D(2026, 9, d),)) for d in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    assert Dispatch.objects.filter(teacher=teacher, status=DispatchStatus.ACTIVE).count() == 1


# --- pages -------------------------------------------------------------------------------------------------


def test_given_org_admin_when_using_pages_then_create_edit_cancel_work(setup: Any, login: Any) -> None:
    client = login(setup.users["org_a"])
    assert client.get(reverse("courses:dispatch_create")).status_code == 200
    form = {
        "teacher": setup.teacher.pk,
        "school": setup.school_a.pk,
        "starts_on": "2026-09-01",
        "ends_on": "2027-01-15",
        "course_categories": ["arts"],
    }
    response = client.post(reverse("courses:dispatch_create"), form)
    dispatch = Dispatch.objects.get()
    assert response.status_code == 302
    bad = client.post(reverse("courses:dispatch_create"), form)
    assert bad.status_code == 200 and "期限不能重叠" in bad.content.decode()
    edit = reverse("courses:dispatch_edit", args=[dispatch.pk])
    assert client.post(edit, {"ends_on": "2026-12-01", "course_categories": ["arts", "sports"]}).status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.course_categories == ["sports", "arts"]  # kept in catalogue order
    cancel = reverse("courses:dispatch_cancel", args=[dispatch.pk])
    assert client.get(cancel).status_code == 200
    assert client.post(cancel, {"reason": ""}).status_code == 200
    assert client.post(cancel, {"reason": "学期调整"}).status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.CANCELLED
    listing = client.get(reverse("courses:dispatch_list"), {"status": "cancelled"}).content.decode()
    assert setup.teacher.name in listing
    export = client.get(reverse("courses:dispatch_list"), {"export": "xlsx"})
    assert export.status_code == 200 and AuditEvent.objects.filter(event="export").exists()


def test_given_cross_tenant_when_opening_dispatch_pages_then_404(setup: Any, login: Any) -> None:
    dispatch = services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))
    for key in ("org_b", "bureau_b", "school_a2"):
        assert login(setup.users[key]).get(reverse("courses:dispatch_detail", args=[dispatch.pk])).status_code == 404
    assert login(setup.users["org_b"]).get(reverse("courses:dispatch_cancel", args=[dispatch.pk])).status_code == 404
    assert login(setup.users["school_a"]).get(reverse("courses:dispatch_detail", args=[dispatch.pk])).status_code == 200
    assert login(setup.users["school_a"]).get(reverse("courses:dispatch_cancel", args=[dispatch.pk])).status_code == 403
    assert login(setup.users["parent"]).get(reverse("courses:dispatch_list")).status_code == 403


# --- API ------------------------------------------------------------------------------------------------------


def test_given_api_when_creating_patching_cancelling_then_works(setup: Any, login: Any) -> None:
    client = login(setup.users["org_a"])
    body = {
        "teacher_id": setup.teacher.pk,
        "school_id": setup.school_a.pk,
        "starts_on": "2026-09-01",
        "ends_on": "2027-01-15",
        "course_categories": ["arts"],
    }
    response = client.post(f"{API}/dispatches", body, content_type="application/json")
    assert response.status_code == 201, response.content
    dispatch_id = response.json()["id"]
    again = client.post(f"{API}/dispatches", body, content_type="application/json")
    assert again.status_code == 422 and "starts_on" in again.json()["detail"]
    empty = client.post(f"{API}/dispatches", {**body, "course_categories": []}, content_type="application/json")
    assert empty.status_code == 422
    patched = client.patch(
        f"{API}/dispatches/{dispatch_id}", {"course_categories": ["sports"]}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["course_categories"] == ["sports"]
    assert (
        client.patch(f"{API}/dispatches/{dispatch_id}", {"ends_on": None}, content_type="application/json").status_code
        == 422
    )
    cancelled = client.post(f"{API}/dispatches/{dispatch_id}/cancel", {"reason": "x"}, content_type="application/json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (
        client.post(
            f"{API}/dispatches/{dispatch_id}/cancel", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 409
    )
    assert client.get(f"{API}/dispatches").json()["count"] == 1
    assert client.get(f"{API}/dispatches/export").status_code == 200


def test_given_api_cross_tenant_then_404(setup: Any, login: Any) -> None:
    dispatch = services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))
    for key in ("org_b", "bureau_b", "school_a2"):
        client = login(setup.users[key])
        assert client.get(f"{API}/dispatches/{dispatch.pk}").status_code == 404
        assert client.get(f"{API}/dispatches").json()["count"] == 0
    response = login(setup.users["org_b"]).post(
        f"{API}/dispatches/{dispatch.pk}/cancel", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_given_api_may_teach_then_answers_for_school_bureau_system_only(setup: Any, login: Any) -> None:
    services.dispatch_create(actor=setup.actor("org_a"), data=_data(setup))
    query = {
        "school_id": setup.school_a.pk,
        "user_id": setup.users["orgteacher_a"].pk,
        "starts_on": "2026-10-01",
        "ends_on": "2026-10-01",
        "category": "arts",
    }
    for key in ("school_a", "bureau_a", "system"):
        assert login(setup.users[key]).get(f"{API}/teacher-may-teach", query).json() == {
            "allowed": True,
            "reason": None,
        }
    refused = login(setup.users["school_a"]).get(f"{API}/teacher-may-teach", {**query, "category": "sports"}).json()
    assert refused["allowed"] is False and "体育" in refused["reason"]
    assert login(setup.users["org_a"]).get(f"{API}/teacher-may-teach", query).status_code == 403
    assert login(setup.users["school_a2"]).get(f"{API}/teacher-may-teach", query).status_code == 404
    assert login(setup.users["bureau_b"]).get(f"{API}/teacher-may-teach", query).status_code == 404
    bad_user = login(setup.users["school_a"]).get(f"{API}/teacher-may-teach", {**query, "user_id": 2**40})
    assert bad_user.status_code == 422
