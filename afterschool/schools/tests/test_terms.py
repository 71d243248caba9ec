"""Terms (学年学期), registration windows and calendar days: rules, pages, API, scoping, export."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import PermissionDenied, ValidationFailed
from afterschool.schools.models import CalendarDay, RegistrationWindow, Term
from afterschool.schools.services import terms as services
from afterschool.schools.tests.factories import TermFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/schools"


def _json(client: Any, method: str, path: str, data: Any = None) -> Any:
    if method == "get":
        return client.get(f"{API}{path}")
    return getattr(client, method)(f"{API}{path}", data=json.dumps(data, default=str), content_type="application/json")


def _rows(html: str) -> list[str]:
    return re.findall(r'<a href="/school/terms/\d+/">([^<]+)</a>', html)


def _aware(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def _term_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "academic_year": 2026,
        "term_number": 1,
        "starts_on": dt.date(2026, 9, 1),
        "ends_on": dt.date(2027, 1, 20),
    }
    data.update(overrides)
    return data


# --- rules (services) -------------------------------------------------------------------------------


def test_given_school_admin_when_creating_term_then_it_belongs_to_own_school_and_is_audited(world: Any) -> None:
    term = services.term_create(actor=world.actor("school_a"), data={**_term_data(), "school": world.school_b})
    assert term.school == world.school_a  # a school named in input is ignored
    assert AuditEvent.objects.filter(event="create", object_type="schools.term", object_id=str(term.pk)).exists()


def test_given_existing_term_when_overlapping_term_created_then_refused_naming_it(world: Any) -> None:
    TermFactory(school=world.school_a)
    with pytest.raises(ValidationFailed) as exc:
        services.term_create(
            actor=world.actor("school_a"),
            data=_term_data(
                academic_year=2027, term_number=2, starts_on=dt.date(2027, 1, 10), ends_on=dt.date(2027, 7, 1)
            ),
        )
    assert "2026–2027 学年第一学期" in exc.value.detail["starts_on"][0]
    assert "重叠" in exc.value.detail["starts_on"][0]


def test_given_term_of_other_school_when_same_dates_created_then_allowed(world: Any) -> None:
    TermFactory(school=world.school_b)
    term = services.term_create(actor=world.actor("school_a"), data=_term_data())
    assert term.pk


def test_given_adjacent_terms_when_created_then_allowed(world: Any) -> None:
    TermFactory(school=world.school_a)
    term = services.term_create(
        actor=world.actor("school_a"),
        data=_term_data(term_number=2, starts_on=dt.date(2027, 2, 20), ends_on=dt.date(2027, 7, 5)),
    )
    assert term.pk


def test_when_term_ends_before_it_starts_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.term_create(actor=world.actor("school_a"), data=_term_data(ends_on=dt.date(2026, 8, 1)))
    assert "ends_on" in exc.value.detail


def test_given_term_when_update_would_overlap_other_term_then_refused(world: Any) -> None:
    TermFactory(school=world.school_a)
    second = TermFactory(
        school=world.school_a, term_number=2, starts_on=dt.date(2027, 2, 20), ends_on=dt.date(2027, 7, 5)
    )
    with pytest.raises(ValidationFailed) as exc:
        services.term_update(actor=world.actor("school_a"), term=second, data={"starts_on": dt.date(2027, 1, 1)})
    assert "重叠" in exc.value.detail["starts_on"][0]


def test_given_bureau_admin_when_creating_term_then_permission_denied(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.term_create(actor=world.actor("bureau_a"), data={**_term_data(), "school": world.school_a})


def test_given_system_admin_when_creating_term_without_school_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.term_create(actor=world.actor("system"), data=_term_data())
    assert "school" in exc.value.detail


def test_window_must_close_after_it_opens(world: Any) -> None:
    term = TermFactory(school=world.school_a)
    with pytest.raises(ValidationFailed) as exc:
        services.window_create(
            actor=world.actor("school_a"),
            term=term,
            data={"name": "第一轮", "opens_at": _aware(2026, 8, 20, 8, 0), "closes_at": _aware(2026, 8, 20, 8, 0)},
        )
    assert "closes_at" in exc.value.detail


def test_window_must_close_before_term_ends(world: Any) -> None:
    term = TermFactory(school=world.school_a)
    with pytest.raises(ValidationFailed) as exc:
        services.window_create(
            actor=world.actor("school_a"),
            term=term,
            data={"name": "第一轮", "opens_at": _aware(2027, 1, 10, 8, 0), "closes_at": _aware(2027, 1, 21, 0, 1)},
        )
    assert "学期结束" in exc.value.detail["closes_at"][0]


def test_window_is_kept_to_the_minute(world: Any) -> None:
    term = TermFactory(school=world.school_a)
    window = services.window_create(
        actor=world.actor("school_a"),
        term=term,
        data={"name": "第一轮", "opens_at": _aware(2026, 8, 20, 8, 0, 42), "closes_at": _aware(2026, 8, 22, 17, 30)},
    )
    window.refresh_from_db()
    assert window.opens_at == _aware(2026, 8, 20, 8, 0)


def test_calendar_day_outside_term_refused(world: Any) -> None:
    term = TermFactory(school=world.school_a)
    with pytest.raises(ValidationFailed) as exc:
        services.calendar_day_create(
            actor=world.actor("school_a"), term=term, data={"date": dt.date(2027, 2, 1), "kind": "holiday"}
        )
    assert "date" in exc.value.detail


def test_makeup_day_requires_follows_weekday(world: Any) -> None:
    term = TermFactory(school=world.school_a)
    with pytest.raises(ValidationFailed) as exc:
        services.calendar_day_create(
            actor=world.actor("school_a"), term=term, data={"date": dt.date(2026, 10, 11), "kind": "makeup"}
        )
    assert "follows_weekday" in exc.value.detail
    day = services.calendar_day_create(
        actor=world.actor("school_a"),
        term=term,
        data={"date": dt.date(2026, 10, 11), "kind": "makeup", "follows_weekday": 3},
    )
    assert day.follows_weekday == 3


def test_holiday_drops_follows_weekday_and_same_date_is_refused(world: Any) -> None:
    term = TermFactory(school=world.school_a)
    actor = world.actor("school_a")
    day = services.calendar_day_create(
        actor=actor, term=term, data={"date": dt.date(2026, 10, 1), "kind": "holiday", "follows_weekday": 2}
    )
    assert day.follows_weekday is None
    with pytest.raises(ValidationFailed):
        services.calendar_day_create(actor=actor, term=term, data={"date": dt.date(2026, 10, 1), "kind": "no_service"})


def test_shortening_term_past_a_calendar_day_is_refused(world: Any) -> None:
    term = TermFactory(school=world.school_a)
    CalendarDay.objects.create(term=term, date=dt.date(2027, 1, 15), kind="holiday")
    with pytest.raises(ValidationFailed) as exc:
        services.term_update(actor=world.actor("school_a"), term=term, data={"ends_on": dt.date(2027, 1, 10)})
    assert "ends_on" in exc.value.detail


# --- pages --------------------------------------------------------------------------------------------


def test_school_admin_creates_term_through_page(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    response = client.post(
        "/school/terms/new/",
        {"academic_year": "2026", "term_number": "1", "starts_on": "2026-09-01", "ends_on": "2027-01-20"},
    )
    assert response.status_code == 302
    assert Term.objects.get().school == world.school_a


def test_overlapping_term_through_page_shows_field_error(world: Any, login: Any) -> None:
    TermFactory(school=world.school_a)
    response = login(world.users["school_a"]).post(
        "/school/terms/new/",
        {"academic_year": "2027", "term_number": "2", "starts_on": "2027-01-01", "ends_on": "2027-07-01"},
    )
    assert response.status_code == 200
    assert "重叠" in response.content.decode()
    assert Term.objects.count() == 1


def test_term_list_search_filter_and_scope(world: Any, login: Any) -> None:
    TermFactory(school=world.school_a)
    TermFactory(school=world.school_a, academic_year=2025, starts_on=dt.date(2025, 9, 1), ends_on=dt.date(2026, 1, 20))
    TermFactory(school=world.school_b)
    client = login(world.users["school_a"])
    html = client.get("/school/terms/").content.decode()
    assert _rows(html) == ["2026–2027 学年第一学期", "2025–2026 学年第一学期"] and "朝阳实验小学" not in html
    assert _rows(client.get("/school/terms/", {"academic_year": "2025"}).content.decode()) == ["2025–2026 学年第一学期"]
    assert _rows(client.get("/school/terms/", {"q": "2026"}).content.decode()) == ["2026–2027 学年第一学期"]
    assert _rows(client.get("/school/terms/", {"term_number": "2"}).content.decode()) == []


def test_bureau_sees_region_terms_but_cannot_write(world: Any, login: Any) -> None:
    TermFactory(school=world.school_a)
    TermFactory(school=world.school_b)
    client = login(world.users["bureau_a"])
    html = client.get("/school/terms/").content.decode()
    assert "海淀实验小学" in html and "朝阳实验小学" not in html
    assert client.get("/school/terms/new/").status_code == 403
    assert _json(client, "post", "/terms", {**_term_data(), "school_id": world.school_a.pk}).status_code == 403


def test_cross_school_term_pages_and_api_answer_404(world: Any, login: Any) -> None:
    term = TermFactory(school=world.school_a)
    other = login(world.users["school_a2"])
    for url in (f"/school/terms/{term.pk}/", f"/school/terms/{term.pk}/edit/", f"/school/terms/{term.pk}/delete/"):
        assert other.get(url).status_code == 404
    assert other.post(f"/school/terms/{term.pk}/days/", {"day-date": "2026-10-01"}).status_code == 404
    assert _json(other, "get", f"/terms/{term.pk}").status_code == 404
    assert _json(other, "patch", f"/terms/{term.pk}", {"academic_year": 2030}).status_code == 404
    assert _json(other, "delete", f"/terms/{term.pk}").status_code == 404
    assert login(world.users["bureau_b"]).get(f"/school/terms/{term.pk}/").status_code == 404


def test_teacher_cannot_open_term_pages(world: Any, login: Any) -> None:
    assert login(world.users["teacher_a"]).get("/school/terms/").status_code == 403


def test_term_detail_adds_and_deletes_window_and_day(world: Any, login: Any) -> None:
    term = TermFactory(school=world.school_a)
    client = login(world.users["school_a"])
    response = client.post(
        f"/school/terms/{term.pk}/windows/",
        {"window-name": "第一轮报名", "window-opens_at": "2026-08-20T08:00", "window-closes_at": "2026-08-25T17:00"},
    )
    assert response.status_code == 302
    window = RegistrationWindow.objects.get(term=term)
    assert window.opens_at == _aware(2026, 8, 20, 8, 0)
    response = client.post(
        f"/school/terms/{term.pk}/days/", {"day-date": "2026-10-11", "day-kind": "makeup", "day-note": "国庆调休"}
    )
    assert response.status_code == 422
    assert "调休上课日须指定" in response.content.decode()
    response = client.post(
        f"/school/terms/{term.pk}/days/",
        {"day-date": "2026-10-11", "day-kind": "makeup", "day-follows_weekday": "4", "day-note": "国庆调休"},
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(term=term)
    html = client.get(f"/school/terms/{term.pk}/").content.decode()
    assert "第一轮报名" in html and "2026-10-11" in html and "data-confirm" in html
    assert client.post(f"/school/terms/{term.pk}/windows/{window.pk}/delete/").status_code == 302
    assert client.post(f"/school/terms/{term.pk}/days/{day.pk}/delete/").status_code == 302
    assert not RegistrationWindow.objects.exists() and not CalendarDay.objects.exists()
    assert AuditEvent.objects.filter(event="delete", object_type="schools.registrationwindow").exists()


def test_term_delete_page_confirms_then_deletes(world: Any, login: Any) -> None:
    term = TermFactory(school=world.school_a)
    client = login(world.users["school_a"])
    assert "确认删除" in client.get(f"/school/terms/{term.pk}/delete/").content.decode()
    assert client.post(f"/school/terms/{term.pk}/delete/").status_code == 302
    assert not Term.objects.exists()
    assert AuditEvent.objects.filter(event="delete", object_type="schools.term").exists()


def test_term_export_xlsx_is_scoped_and_audited(world: Any, login: Any) -> None:
    TermFactory(school=world.school_a)
    TermFactory(school=world.school_b)
    response = login(world.users["school_a"]).get("/school/terms/", {"export": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "学期" and len(rows) == 2 and rows[1][1] == "海淀实验小学"
    assert AuditEvent.objects.filter(event="export").exists()


# --- API ----------------------------------------------------------------------------------------------


def test_api_term_crud_and_windows(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    payload = {"academic_year": 2026, "term_number": 1, "starts_on": "2026-09-01", "ends_on": "2027-01-20"}
    response = _json(client, "post", "/terms", payload)
    assert response.status_code == 201, response.content
    term_id = response.json()["id"]
    assert response.json()["school_id"] == world.school_a.pk
    overlap = _json(client, "post", "/terms", {**payload, "term_number": 2})
    assert overlap.status_code == 422
    body = _json(client, "get", "/terms?q=2026&page_size=5").json()
    assert body["count"] == 1 and body["page_size"] == 5
    assert _json(client, "patch", f"/terms/{term_id}", {"ends_on": "2027-01-25"}).json()["ends_on"] == "2027-01-25"
    assert _json(client, "patch", f"/terms/{term_id}", {"ends_on": None}).status_code == 422
    bad = _json(
        client,
        "post",
        f"/terms/{term_id}/windows",
        {"name": "晚了", "opens_at": "2027-01-20T08:00:00+08:00", "closes_at": "2027-02-01T08:00:00+08:00"},
    )
    assert bad.status_code == 422 and "closes_at" in bad.json()["detail"]
    ok = _json(
        client,
        "post",
        f"/terms/{term_id}/windows",
        {"name": "第一轮", "opens_at": "2026-08-20T08:00:00+08:00", "closes_at": "2026-08-25T17:00:00+08:00"},
    )
    assert ok.status_code == 201
    assert _json(client, "get", f"/terms/{term_id}/windows").json()["count"] == 1
    assert _json(client, "delete", f"/terms/{term_id}/windows/{ok.json()['id']}").status_code == 204
    day = _json(client, "post", f"/terms/{term_id}/calendar-days", {"date": "2026-10-11", "kind": "makeup"})
    assert day.status_code == 422 and "follows_weekday" in day.json()["detail"]
    day = _json(
        client,
        "post",
        f"/terms/{term_id}/calendar-days",
        {"date": "2026-10-11", "kind": "makeup", "follows_weekday": 4},
    )
    assert day.status_code == 201
    assert _json(client, "get", f"/terms/{term_id}/calendar-days").json()["items"][0]["follows_weekday"] == 4
    assert _json(client, "delete", f"/terms/{term_id}/calendar-days/{day.json()['id']}").status_code == 204
    assert _json(client, "delete", f"/terms/{term_id}").status_code == 204


def test_api_cross_school_windows_answer_404(world: Any, login: Any) -> None:
    term = TermFactory(school=world.school_a)
    window = RegistrationWindow.objects.create(
        term=term, name="第一轮", opens_at=_aware(2026, 8, 20, 8), closes_at=_aware(2026, 8, 21, 8)
    )
    other = login(world.users["school_b"])
    assert _json(other, "get", f"/terms/{term.pk}/windows").status_code == 404
    assert _json(other, "delete", f"/terms/{term.pk}/windows/{window.pk}").status_code == 404
    assert RegistrationWindow.objects.exists()


def test_api_bureau_reads_only_its_region(world: Any, login: Any) -> None:
    TermFactory(school=world.school_a)
    TermFactory(school=world.school_b)
    body = _json(login(world.users["bureau_a"]), "get", "/terms").json()
    assert [t["school_id"] for t in body["items"]] == [world.school_a.pk]
