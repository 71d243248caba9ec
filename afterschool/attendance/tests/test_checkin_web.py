"""Teacher check-in through the pages (panel, htmx, plain post, lists, export) and the API (status codes, shape,
scoping: another school's lessons and check-ins invisible)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import UserFactory
from afterschool.attendance import geo
from afterschool.attendance.models import TeacherCheckin

from .factories import CENTRE, Day, TeacherCheckinFactory, freeze, make_day

pytestmark = pytest.mark.django_db

LAT, LNG = CENTRE
API = "/api/v1/attendance"


def at(hour: int, minute: int, day: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute)


def north(metres: float) -> str:
    return f"{geo.latitude_north_of(LAT, metres):.6f}"


@pytest.fixture
def day(world: Any) -> Day:
    return make_day(world)


def position(metres: float = 0, accuracy: Any = 15) -> dict[str, Any]:
    return {"latitude": north(metres), "longitude": str(LNG), "accuracy": accuracy}


# --- the panel and its posts ----------------------------------------------------------------------------------------


def test_given_a_teacher_when_opening_the_checkin_page_then_header_and_big_button(
    day: Day, login: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, at(15, 30))
    response = login(day.teacher).get(reverse("attendance:checkin_page", args=[day.today.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "少儿创意美术" in html and "15:40–16:40" in html and 'data-testid="checkin-button"' in html
    assert f'hx-post="/attendance/lessons/{day.today.pk}/checkin/"' in html
    assert "签到时间 15:25–15:50，现在可以签到" in html and "js/checkin.js" in html
    assert "海淀实验小学签到范围：半径 300 米" in html


def test_given_an_htmx_check_in_then_the_panel_comes_back_with_the_result(
    day: Day, login: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, at(15, 32))
    client = login(day.teacher)
    url = reverse("attendance:checkin", args=[day.today.pk])
    response = client.post(url, {**position(25), "next": "/attendance/x/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "签到成功（15:32，距签到点 25 米）" in html
    assert f'id="checkin-panel-{day.today.pk}"' in html and "js/checkin.js" not in html
    assert 'data-label="签退"' in html and 'value="/attendance/x/"' in html
    row = TeacherCheckin.objects.get()
    assert row.in_distance_m == 25 and row.in_accuracy_m == 15


def test_given_an_htmx_check_in_outside_the_area_then_the_panel_names_the_distance(
    day: Day, login: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, at(15, 32))
    response = login(day.teacher).post(
        reverse("attendance:checkin", args=[day.today.pk]), position(356), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "您距签到点 356 米，超出 300 米范围" in response.content.decode()
    assert not TeacherCheckin.objects.exists()


def test_given_an_htmx_post_without_position_then_refused_with_a_message(
    day: Day, login: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, at(15, 32))
    response = login(day.teacher).post(
        reverse("attendance:checkin", args=[day.today.pk]), {"latitude": "", "longitude": ""}, HTTP_HX_REQUEST="true"
    )
    assert "未获取到位置，无法签到或签退" in response.content.decode()
    assert not TeacherCheckin.objects.exists()


def test_given_a_plain_post_then_redirected_back_with_the_message(day: Day, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 32))
    client = login(day.teacher)
    url = reverse("attendance:checkin", args=[day.today.pk])
    response = client.post(url, {**position(10, accuracy="180"), "next": "https://evil.example/"})
    page = reverse("attendance:checkin_page", args=[day.today.pk])
    assert response.status_code == 302 and response.url == page
    html = client.get(page).content.decode()
    assert "签到成功" in html and "已标记" in html and "精度差，待核实" in html
    assert TeacherCheckin.objects.get().in_flagged
    response = client.post(url, {**position(10), "next": page})
    assert response.status_code == 302
    assert "您已签到过本次课" in client.get(page).content.decode()


def test_given_an_htmx_check_out_then_done(day: Day, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 32))
    TeacherCheckinFactory(lesson=day.today, teacher=day.teacher)
    freeze(monkeypatch, at(16, 41))
    response = login(day.teacher).post(
        reverse("attendance:checkout", args=[day.today.pk]), position(40), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "签退成功（16:41，距签到点 40 米）" in html and "已签退 16:41" in html
    assert TeacherCheckin.objects.get().out_distance_m == 40


def test_given_a_get_on_the_checkin_post_url_then_405(day: Day, login: Any) -> None:
    assert login(day.teacher).get(reverse("attendance:checkin", args=[day.today.pk])).status_code == 405


@pytest.mark.parametrize("key", ["school_a", "bureau_a", "school_b", "orgteacher_a", "parent"])
def test_given_someone_not_teaching_when_posting_a_check_in_then_404(
    day: Day, login: Any, monkeypatch: Any, key: str
) -> None:
    freeze(monkeypatch, at(15, 32))
    response = login(day.world.users[key]).post(reverse("attendance:checkin", args=[day.today.pk]), position())
    assert response.status_code == 404
    assert not TeacherCheckin.objects.exists()


def test_given_another_schools_lesson_then_its_pages_are_404(day: Day, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 32))
    client = login(day.teacher)
    assert client.get(reverse("attendance:checkin_page", args=[day.other_lesson.pk])).status_code == 404
    assert client.post(reverse("attendance:checkin", args=[day.other_lesson.pk]), position()).status_code == 404
    admin_b = login(day.world.users["school_b"])
    assert admin_b.get(reverse("attendance:checkin_page", args=[day.today.pk])).status_code == 404
    assert (
        login(day.world.users["parent"]).get(reverse("attendance:checkin_page", args=[day.today.pk])).status_code == 404
    )


def test_given_a_school_admin_then_the_checkin_page_shows_the_teachers_state(
    day: Day, login: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, at(15, 45))
    TeacherCheckinFactory(lesson=day.today, teacher=day.teacher, in_distance_m=33)
    html = login(day.world.users["school_a"]).get(reverse("attendance:checkin_page", args=[day.today.pk]))
    text = html.content.decode()
    assert html.status_code == 200 and "33 米" in text and 'data-testid="checkin-button"' not in text


def test_given_an_org_teacher_of_the_lesson_then_checks_in_through_the_page(
    day: Day, login: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, at(15, 30))
    org_teacher = day.world.users["orgteacher_a"]
    day.today.teachers.add(org_teacher)
    client = login(org_teacher)
    assert client.get(reverse("attendance:checkin_page", args=[day.today.pk])).status_code == 200
    response = client.post(reverse("attendance:checkin", args=[day.today.pk]), position(5), HTTP_HX_REQUEST="true")
    assert "签到成功" in response.content.decode()
    assert TeacherCheckin.objects.get().teacher == org_teacher


# --- lists ----------------------------------------------------------------------------------------------------------


def _history(day: Day) -> None:
    """teacher_a checked in on 3 Nov (flagged) and missed 10 Nov; school_b's teacher checked in on its lesson."""
    TeacherCheckinFactory(lesson=day.past, teacher=day.teacher, in_distance_m=12, in_flagged=True)
    b_teacher = UserFactory(username="b_teacher", display_name="赵老师")
    day.other_lesson.teachers.add(b_teacher)
    TeacherCheckinFactory(lesson=day.other_lesson, teacher=b_teacher, in_distance_m=7)


def test_given_a_teacher_then_my_checkins_lists_its_lessons_with_their_state(
    day: Day, login: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, at(18, 0))
    _history(day)
    response = login(day.teacher).get(reverse("attendance:my_checkins"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<td data-label="日期">') == 3  # 3, 10, 17 Nov (24 Nov is beyond a week ahead)
    assert "12 米" in html and "精度差" in html and "未签到" in html and "赵老师" not in html
    assert login(day.world.users["school_a"]).get(reverse("attendance:my_checkins")).status_code == 403


def test_given_a_school_admin_then_the_school_list_filters_and_scopes(day: Day, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(18, 0))
    _history(day)
    client = login(day.world.users["school_a"])
    url = reverse("attendance:checkins")
    html = client.get(url).content.decode()
    assert "少儿创意美术" in html and "12 米" in html and "赵老师" not in html and "共 1 条" in html
    missing = client.get(url, {"missing": "on"}).content.decode()
    assert "共 1 条未签到课次" in missing and "2026-11-10" in missing  # 10 Nov is over at 18:00; 17 Nov is not
    assert "共 0 条" in client.get(url, {"date_from": "2026-11-04"}).content.decode()
    assert "共 1 条" in client.get(url, {"flagged": "on"}).content.decode()
    assert "共 0 条" in client.get(url, {"q": "赵"}).content.decode()
    assert "共 1 条" in client.get(url, {"q": "王老师"}).content.decode()  # the staff member's name
    assert "共 1 条" in client.get(url, {"teacher": day.teacher.pk}).content.decode()
    bad = client.get(url, {"date_from": "x", "teacher": "abc"})
    assert bad.status_code == 200 and "请填写有效的日期" in bad.content.decode()


def test_given_the_bureau_then_it_reads_its_regions_schools_with_a_school_filter(
    day: Day, login: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, at(18, 0))
    _history(day)
    url = reverse("attendance:checkins")
    bureau_a = login(day.world.users["bureau_a"])
    html = bureau_a.get(url).content.decode()
    assert "海淀实验小学" in html and "朝阳实验小学" not in html and "共 1 条" in html
    assert "共 1 条" in bureau_a.get(url, {"school": day.school.pk}).content.decode()
    assert "共 0 条" in bureau_a.get(url, {"school": day.world.school_a2.pk}).content.decode()
    # another region's school is not a choice: the filter is refused and nothing of it shows
    assert "赵老师" not in bureau_a.get(url, {"school": day.world.school_b.pk}).content.decode()
    bureau_b = login(day.world.users["bureau_b"]).get(url).content.decode()
    assert "赵老师" in bureau_b and "少儿创意美术" not in bureau_b
    assert login(day.teacher).get(url).status_code == 403


def test_given_an_export_then_xlsx_and_audited(day: Day, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(18, 0))
    _history(day)
    client = login(day.world.users["school_a"])
    response = client.get(reverse("attendance:checkins"), {"export": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "学校" and len(rows) == 2 and rows[1][0] == "海淀实验小学" and rows[1][7] == 12
    assert rows[1][9] == "是"
    event = AuditEvent.objects.filter(event="export").get()
    assert event.detail["what"] == "teacher_checkins" and event.detail["rows"] == 1
    missing = client.get(reverse("attendance:checkins"), {"export": "xlsx", "missing": "on"})
    rows = list(load_workbook(io.BytesIO(missing.content)).active.values)
    assert len(rows) == 2 and rows[1][6] == "未签到" and rows[1][3] == "2026-11-10"


# --- API ------------------------------------------------------------------------------------------------------------


def _api_post(client: Any, lesson_id: int, verb: str = "checkin", **body: Any) -> Any:
    verb = "teacher-checkout" if verb == "checkout" else verb
    payload = {"latitude": float(north(0)), "longitude": float(LNG), "accuracy_m": 12, **body}
    return client.post(f"{API}/lessons/{lesson_id}/{verb}", payload, content_type="application/json")


def test_given_the_api_then_check_in_and_out_with_shape(day: Day, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 30))
    client = login(day.teacher)
    response = _api_post(client, day.today.pk, latitude=float(north(300)), accuracy_m=120.4)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["checked_in"] and body["in_distance_m"] == 300 and body["in_flagged"] and body["flagged"]
    assert body["in_accuracy_m"] == 121 and body["lesson_id"] == day.today.pk and body["school_id"] == day.school.pk
    assert "已标记" in body["message"] and body["checked_out_at"] is None
    again = _api_post(client, day.today.pk)
    assert again.status_code == 409 and again.json()["code"] == "already_checked_in"
    early = _api_post(client, day.today.pk, "checkout")
    assert early.status_code == 409 and early.json()["message"] == "签退时间为 16:30–17:10，现在是 15:30"
    freeze(monkeypatch, at(16, 50))
    out = _api_post(client, day.today.pk, "checkout", latitude=float(north(301)))
    assert out.status_code == 409 and out.json()["detail"]["distance_m"] == 301
    out = _api_post(client, day.today.pk, "checkout")
    assert out.status_code == 200 and out.json()["out_distance_m"] == 0 and out.json()["message"].startswith("签退成功")


def test_given_the_api_with_bad_input_then_422_in_chinese(day: Day, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 30))
    client = login(day.teacher)
    response = _api_post(client, day.today.pk, latitude=95)
    assert response.status_code == 422 and response.json()["detail"] == {"latitude": ["纬度须在 -90 到 90 之间"]}
    response = client.post(f"{API}/lessons/{day.today.pk}/checkin", {"latitude": "北"}, content_type="application/json")
    assert response.status_code == 422
    assert not TeacherCheckin.objects.exists()


def test_given_the_api_then_outside_the_window_names_the_time(day: Day, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(15, 51))
    response = _api_post(login(day.teacher), day.today.pk)
    assert response.status_code == 409
    assert response.json() == {
        "code": "outside_checkin_window", "message": "签到时间为 15:25–15:50，现在是 15:51",
        "detail": {"opens": "2026-11-10T15:25:00", "closes": "2026-11-10T15:50:00"},
    }  # fmt: skip


def test_given_the_api_then_other_schools_and_other_peoples_lessons_are_404(
    day: Day, login: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, at(15, 30))
    assert _api_post(login(day.teacher), day.other_lesson.pk).status_code == 404
    assert _api_post(login(day.world.users["school_a"]), day.today.pk).status_code == 404
    assert _api_post(login(day.world.users["orgteacher_a"]), day.today.pk).status_code == 404
    assert _api_post(login(day.teacher), 2**62 + 5).status_code == 404


def test_given_the_api_list_then_scoped_filtered_and_paged(day: Day, login: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, at(18, 0))
    _history(day)
    school = login(day.world.users["school_a"]).get(f"{API}/checkins").json()
    assert school["count"] == 1 and school["items"][0]["in_distance_m"] == 12 and school["items"][0]["in_flagged"]
    assert school["items"][0]["in_latitude"] == float(LAT)
    missing = login(day.world.users["school_a"]).get(f"{API}/checkins", {"missing": "true"}).json()
    assert missing["count"] == 1 and missing["items"][0]["id"] is None
    assert missing["items"][0]["lesson_date"] == "2026-11-10" and missing["items"][0]["checked_in"] is False
    mine = login(day.teacher).get(f"{API}/checkins").json()
    assert mine["count"] == 1 and mine["items"][0]["teacher_id"] == day.teacher.pk
    bureau_b = login(day.world.users["bureau_b"]).get(f"{API}/checkins").json()
    assert bureau_b["count"] == 1 and bureau_b["items"][0]["teacher_name"] == "赵老师"
    school_b = login(day.world.users["school_b"]).get(f"{API}/checkins", {"school": day.school.pk}).json()
    assert school_b["count"] == 0
    assert login(day.world.users["parent"]).get(f"{API}/checkins").json()["count"] == 0
    paged = login(day.world.users["system"]).get(f"{API}/checkins", {"page_size": 1, "page": 2}).json()
    assert paged["count"] == 2 and paged["num_pages"] == 2 and len(paged["items"]) == 1
    assert Decimal(str(paged["items"][0]["in_longitude"])) == LNG
