"""Patrols (巡课, §5.2.3): who patrols, today's task on a frozen clock, the rules of recording a patrol, the score
percentage, another school's lessons and patrols invisible (pages and API), the pages and the API."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.attendance.tests.factories import (
    StudentAttendanceFactory,
    TeacherCheckinFactory,
    freeze,
)
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.tests.media_samples import sample_upload
from afterschool.patrol.models import Patrol, PatrolPhoto, PatrolScore
from afterschool.patrol.selectors import patrols as selectors
from afterschool.patrol.services import patrols as services
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory

from .conftest import AFTER, BEFORE, DURING, actor_of, patroller_user
from .factories import PatrolCriterionFactory, PatrolPhotoFactory, patrol_of, rubric

pytestmark = pytest.mark.django_db

API = "/api/v1/patrol"


def _scores(day: Any, *values: int) -> dict[int, int]:
    items = day.extra["rubric"]
    values = values or (4,) * len(items)
    return {c.pk: v for c, v in zip(items, values, strict=True)}


def _record(day: Any, actor: Any = None, lesson: Any = None, **kwargs: Any) -> Patrol:
    data: dict[str, Any] = {"scores": _scores(day), "teacher_present": True, "head_count": 3, **kwargs}
    return services.patrol_record(actor=actor or actor_of(day.extra["patroller"]), lesson=lesson or day.today, **data)


# --- who patrols ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("system", True), ("school_a", True), ("teacher_a", False), ("bureau_a", False), ("org_a", False),
        ("orgteacher_a", False), ("parent", False), ("student", False),
    ],
)  # fmt: skip
def test_may_patrol_by_role(world: Any, key: str, expected: bool) -> None:
    assert selectors.may_patrol(world.actor(key)) is expected


def test_a_teacher_with_the_patrol_permission_may_patrol_one_without_may_not(world: Any) -> None:
    assert selectors.may_patrol(actor_of(patroller_user(world.school_a)))
    membership = world.membership("teacher_a")
    membership.permissions = ["patrol"]
    membership.save()
    assert selectors.may_patrol(world.actor("teacher_a"))
    # An organization's teacher never patrols a school, even with the grant on its membership.
    org_membership = world.membership("orgteacher_a")
    org_membership.permissions = ["patrol"]
    org_membership.save()
    assert not selectors.may_patrol(world.actor("orgteacher_a"))


@pytest.mark.parametrize(
    ("key", "status"),
    [("school_a", 200), ("teacher_a", 403), ("parent", 403), ("org_a", 403), ("orgteacher_a", 403), ("bureau_a", 403)],
)
def test_today_page_opens_for_patrollers_only(
    world: Any, day: Any, during: None, login: Any, key: str, status: int
) -> None:
    assert login(world.users[key]).get(reverse("patrol:today")).status_code == status
    api = login(world.users[key]).get(f"{API}/today")
    assert api.status_code == status
    if status == 403:
        assert api.json()["code"] == "not_patroller"


def test_patroller_teacher_opens_the_today_page_and_the_system_admin_chooses_a_school(
    world: Any, day: Any, during: None, login: Any
) -> None:
    assert login(day.extra["patroller"]).get(reverse("patrol:today")).status_code == 200
    page = login(world.users["system"]).get(reverse("patrol:today"))
    assert page.status_code == 200 and "选择学校" in page.content.decode()
    page = login(world.users["system"]).get(reverse("patrol:today"), {"school": world.school_a.pk})
    assert "少儿创意美术" in page.content.decode()


# --- today's task ---------------------------------------------------------------------------------------------------


@pytest.fixture
def busy_day(world: Any, day: Any) -> Any:
    """school_a today (10 Nov): day.today 15:40–16:40, an earlier lesson 14:00–15:00 (another section, taught by
    nobody of ours), and a cancelled lesson 15:00–16:00 that does not count."""
    other = SectionFactory(school=world.school_a, term=day.section.term, name="趣味编程", status="running")
    early = LessonFactory(section=other, date=dt.date(2026, 11, 10), starts_at=dt.time(14), ends_at=dt.time(15))
    LessonFactory(
        section=other, date=dt.date(2026, 11, 10), starts_at=dt.time(15), ends_at=dt.time(16), status="cancelled"
    )
    day.extra["early"] = early
    return day


def _counts(task: Any) -> tuple[int, int, int, int]:
    return task.total, task.started, task.patrolled, task.mine


def test_task_counts_before_during_and_after_on_a_frozen_clock(world: Any, busy_day: Any, monkeypatch: Any) -> None:
    day = busy_day
    actor = actor_of(day.extra["patroller"])
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 13, 0))
    task = selectors.today_task(actor=actor)
    assert _counts(task) == (2, 0, 0, 0)
    assert [t.state for t in task.lessons] == ["upcoming", "upcoming"]
    assert not any(t.can_patrol for t in task.lessons)

    freeze(monkeypatch, BEFORE)  # 15:30: the early lesson is over, the art lesson not started
    task = selectors.today_task(actor=actor)
    assert _counts(task) == (2, 1, 0, 0)
    assert [(t.lesson.pk, t.state, t.can_patrol) for t in task.lessons] == [
        (day.extra["early"].pk, "ended", True), (day.today.pk, "upcoming", False),
    ]  # fmt: skip

    freeze(monkeypatch, DURING)
    patrol_of(day.extra["early"], world.users["school_a"])
    _record(day)  # the patroller patrols the art lesson
    task = selectors.today_task(actor=actor)
    assert _counts(task) == (2, 2, 2, 1)
    art = next(t for t in task.lessons if t.lesson.pk == day.today.pk)
    assert art.state == "running" and art.mine and not art.can_patrol
    assert [str(u) for u in art.patrollers] == ["巡课李老师"]

    freeze(monkeypatch, AFTER)
    task = selectors.today_task(actor=world.actor("school_a"))
    assert _counts(task) == (2, 2, 2, 1)
    assert {t.state for t in task.lessons} == {"ended"}
    # The lesson's own teacher (with the permission) sees it but may not patrol it.
    membership = world.membership("teacher_a")
    membership.permissions = ["patrol"]
    membership.save()
    own = next(t for t in selectors.today_task(actor=world.actor("teacher_a")).lessons if t.lesson.pk == day.today.pk)
    assert own.own and not own.can_patrol


def test_today_page_shows_the_totals_and_a_patrol_button_for_a_started_lesson(
    world: Any, busy_day: Any, during: None, login: Any
) -> None:
    page = login(busy_day.extra["patroller"]).get(reverse("patrol:today"))
    html = page.content.decode()
    assert page.status_code == 200
    for testid, value in [("patrol-total", 2), ("patrol-started", 2), ("patrol-patrolled", 0), ("patrol-mine", 0)]:
        assert f'data-testid="{testid}"><span class="num">{value}</span>' in html
    assert reverse("patrol:new", args=[busy_day.today.pk]) in html
    assert "进行中" in html and "已结束" in html and "王老师" in html


def test_today_api_shape(world: Any, busy_day: Any, during: None, login: Any) -> None:
    body = login(busy_day.extra["patroller"]).get(f"{API}/today").json()
    assert (body["total"], body["started"], body["patrolled"], body["mine"]) == (2, 2, 0, 0)
    assert body["school_id"] == world.school_a.pk and body["date"] == "2026-11-10"
    art = next(x for x in body["lessons"] if x["lesson_id"] == busy_day.today.pk)
    assert art["state"] == "running" and art["can_patrol"] and art["teachers"][0]["name"] == "王老师"
    assert art["starts_at"] == "15:40" and art["venue"] == "美术教室"


# --- recording a patrol ---------------------------------------------------------------------------------------------


def test_a_patrol_stores_scores_with_names_and_the_percentage_and_is_audited(
    world: Any, day: Any, during: None
) -> None:
    patrol = _record(day, scores=_scores(day, 5, 4, 3, 1), teacher_present=False, head_count=2, comment=" 秩序好 ")
    assert (patrol.teacher_present, patrol.head_count, patrol.comment) == (False, 2, "秩序好")
    # (100 + 75 + 50 + 0) / 4
    assert patrol.score_percent == Decimal("56.3")
    assert list(PatrolScore.objects.filter(patrol=patrol).values_list("name", "scale", "score")) == [
        ("课堂秩序", "five", 5), ("教学效果", "five", 4), ("安全管理", "five", 3), ("学生出勤", "five", 1),
    ]  # fmt: skip
    assert AuditEvent.objects.filter(event="create", object_type="patrol.patrol", object_id=str(patrol.pk)).exists()


@pytest.mark.parametrize(
    ("scored", "expected"),
    [
        ([("five", 4), ("ten", 7), ("five", 5)], Decimal("81.7")),  # (75 + 70 + 100) / 3 = 81.67
        ([("ten", 0), ("five", 1)], Decimal("0.0")),
        ([("ten", 10), ("five", 5)], Decimal("100.0")),
        ([("five", 3)], Decimal("50.0")),
        ([("ten", 5), ("five", 2), ("ten", 9)], Decimal("55.0")),  # (50 + 25 + 90) / 3
        ([("five", 2), ("five", 2), ("ten", 1)], Decimal("20.0")),  # (25 + 25 + 10) / 3
        ([("ten", 3), ("ten", 3), ("ten", 4)], Decimal("33.3")),  # 33.33
    ],
)
def test_score_percent_on_hand_examples(scored: list[tuple[str, int]], expected: Decimal) -> None:
    assert services.score_percent(scored) == expected


def test_score_percent_of_a_recorded_patrol_with_mixed_scales(world: Any, day: Any, during: None) -> None:
    school = world.school_a
    for item in day.extra["rubric"]:
        item.delete()
    order, teaching, safety = rubric(school, scales=("five", "ten", "five"))
    patrol = _record(day, scores={order.pk: 4, teaching.pk: 7, safety.pk: 5})
    assert patrol.score_percent == Decimal("81.7")
    assert list(patrol.scores.values_list("scale", "score")) == [("five", 4), ("ten", 7), ("five", 5)]


def test_a_lesson_not_started_yet_is_refused(world: Any, day: Any, monkeypatch: Any) -> None:
    freeze(monkeypatch, BEFORE)
    with pytest.raises(Conflict) as exc:
        _record(day)
    assert exc.value.code == "not_started" and "15:40" in exc.value.message


def test_a_lesson_of_another_day_is_refused_with_a_message(world: Any, day: Any, during: None) -> None:
    with pytest.raises(Conflict) as exc:
        _record(day, lesson=day.past)
    assert exc.value.code == "not_today" and "2026-11-03" in exc.value.message
    with pytest.raises(Conflict) as exc:
        _record(day, lesson=day.future)
    assert exc.value.code == "not_today"


def test_a_cancelled_lesson_is_refused(world: Any, day: Any, during: None) -> None:
    day.today.status = "cancelled"
    day.today.save()
    with pytest.raises(Conflict) as exc:
        _record(day)
    assert exc.value.code == "lesson_cancelled"


def test_a_teacher_cannot_patrol_its_own_lesson(world: Any, day: Any, during: None) -> None:
    membership = world.membership("teacher_a")
    membership.permissions = ["patrol"]
    membership.save()
    with pytest.raises(Conflict) as exc:
        _record(day, actor=world.actor("teacher_a"))
    assert exc.value.code == "own_lesson"


def test_a_teacher_without_the_permission_is_refused(world: Any, day: Any, during: None) -> None:
    plain = patroller_user(world.school_a, username="plain")
    membership = plain.memberships.get()
    membership.permissions = []
    membership.save()
    with pytest.raises(PermissionDenied):
        _record(day, actor=actor_of(plain))


def test_missing_unknown_and_out_of_range_scores_are_refused_per_item(world: Any, day: Any, during: None) -> None:
    order, teaching, safety, attendance = day.extra["rubric"]
    with pytest.raises(ValidationFailed) as exc:
        _record(day, scores={order.pk: 4, teaching.pk: 4, safety.pk: 4})
    assert exc.value.detail == {f"score_{attendance.pk}": ["请为“学生出勤”打分"]}
    with pytest.raises(ValidationFailed) as exc:
        _record(day, scores={order.pk: 6, teaching.pk: 0, safety.pk: 4, attendance.pk: 4})
    assert exc.value.detail == {
        f"score_{order.pk}": ["“课堂秩序”的分数应在 1–5 之间"],
        f"score_{teaching.pk}": ["“教学效果”的分数应在 1–5 之间"],
    }
    other_school_item = PatrolCriterionFactory(school=world.school_b)
    with pytest.raises(ValidationFailed) as exc:
        _record(day, scores={**_scores(day), other_school_item.pk: 3})
    assert exc.value.detail == {"scores": [f"评价项不存在或已停用：{other_school_item.pk}"]}
    # An inactive item is neither asked for nor accepted.
    attendance.is_active = False
    attendance.save()
    with pytest.raises(ValidationFailed) as exc:
        _record(day)
    assert list(exc.value.detail) == ["scores"]
    patrol = _record(day, scores={order.pk: 5, teaching.pk: 5, safety.pk: 5})
    assert patrol.scores.count() == 3 and patrol.score_percent == Decimal("100.0")


def test_a_ten_point_item_takes_zero_to_ten(world: Any, day: Any, during: None) -> None:
    item = PatrolCriterionFactory(school=world.school_a, name="课堂互动", scale="ten")
    with pytest.raises(ValidationFailed) as exc:
        _record(day, scores={**_scores(day), item.pk: 11})
    assert exc.value.detail == {f"score_{item.pk}": ["“课堂互动”的分数应在 0–10 之间"]}
    assert _record(day, scores={**_scores(day), item.pk: 0}).scores.get(name="课堂互动").score == 0


def test_head_count_is_between_zero_and_the_roll_plus_ten(world: Any, day: Any, during: None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _record(day, head_count=14)  # roll of 3
    assert exc.value.detail == {"head_count": ["实到人数应在 0–13 之间（花名册 3 人）"]}
    with pytest.raises(ValidationFailed):
        _record(day, head_count=-1)
    assert _record(day, head_count=13).head_count == 13


def test_photos_at_most_nine_and_images_only_by_content(world: Any, day: Any, during: None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _record(day, photos=[sample_upload("png", f"p{i}.png") for i in range(10)])
    assert "最多 9 张" in exc.value.detail["photos"][0]
    with pytest.raises(ValidationFailed) as exc:
        _record(day, photos=[sample_upload("png"), sample_upload("pdf", "课堂.pdf")])
    assert exc.value.detail["photos"] == ["照片“课堂.pdf”：此处不接受 PDF 文档：只接受 JPG、PNG 图片"]
    with pytest.raises(ValidationFailed) as exc:
        _record(day, photos=[sample_upload("fake_pdf", "photo.jpg")])  # PNG bytes named .jpg
    assert "与扩展名 .jpg 不符" in exc.value.detail["photos"][0]
    assert not Patrol.objects.exists()
    patrol = _record(day, photos=[sample_upload("png", "a.png"), sample_upload("jpg", "b.jpg")])
    assert sorted(patrol.photos.values_list("content_type", flat=True)) == ["image/jpeg", "image/png"]


def test_a_second_patrol_of_the_same_lesson_by_the_same_patroller_is_a_conflict(
    world: Any, day: Any, during: None
) -> None:
    _record(day)
    with pytest.raises(Conflict) as exc:
        _record(day)
    assert (exc.value.code, exc.value.message, exc.value.status) == ("already_patrolled", "您已巡过这节课", 409)
    # Another patroller may patrol it too.
    _record(day, actor=world.actor("school_a"))
    assert Patrol.objects.filter(lesson=day.today).count() == 2


def test_a_school_without_rubric_cannot_be_patrolled(world: Any, day: Any, during: None) -> None:
    for item in day.extra["rubric"]:
        item.delete()
    with pytest.raises(Conflict) as exc:
        _record(day, scores={})
    assert exc.value.code == "no_rubric"


# --- another school -------------------------------------------------------------------------------------------------


def test_another_schools_lesson_and_patrols_are_invisible(world: Any, day: Any, during: None, login: Any) -> None:
    patrol = patrol_of(day.today, day.extra["patroller"])
    photo = PatrolPhotoFactory(patrol=patrol)
    b_admin = world.actor("school_b")
    with pytest.raises(NotFound):
        services.patrol_record(actor=b_admin, lesson=day.today, scores={}, teacher_present=True, head_count=1)
    with pytest.raises(NotFound):
        selectors.patrol_get(actor=b_admin, patrol_id=patrol.pk)
    assert not selectors.patrol_list(actor=b_admin).exists()
    client = login(world.users["school_b"])
    assert client.get(reverse("patrol:new", args=[day.today.pk])).status_code == 404
    assert client.get(reverse("patrol:detail", args=[patrol.pk])).status_code == 404
    assert client.get(reverse("patrol:photo", args=[patrol.pk, photo.pk])).status_code == 404
    assert "少儿创意美术" not in client.get(reverse("patrol:list")).content.decode()
    assert client.get(f"{API}/patrols/{patrol.pk}").status_code == 404
    assert client.get(f"{API}/patrols/{patrol.pk}/photos/{photo.pk}").status_code == 404
    assert client.get(f"{API}/patrols").json()["count"] == 0
    response = client.post(
        f"{API}/lessons/{day.today.pk}/patrols",
        data=json.dumps({"scores": [], "head_count": 1}),
        content_type="application/json",
    )
    assert response.status_code == 404
    # school_a's patroller does not see school_b's lesson either.
    own = login(day.extra["patroller"])
    assert own.get(reverse("patrol:new", args=[day.other_lesson.pk])).status_code == 404
    assert "朝阳机器人" not in own.get(reverse("patrol:today")).content.decode()


def test_the_bureau_reads_its_regions_patrols_but_writes_nothing(
    world: Any, day: Any, during: None, login: Any
) -> None:
    patrol = patrol_of(day.today, day.extra["patroller"])
    photo = PatrolPhotoFactory(patrol=patrol)
    bureau = login(world.users["bureau_a"])
    assert bureau.get(reverse("patrol:detail", args=[patrol.pk])).status_code == 200
    assert bureau.get(reverse("patrol:photo", args=[patrol.pk, photo.pk])).status_code == 200
    assert bureau.get(f"{API}/patrols/{patrol.pk}").status_code == 200
    response = bureau.post(
        f"{API}/lessons/{day.today.pk}/patrols", data=json.dumps({"scores": [], "head_count": 1}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403
    assert bureau.get(reverse("patrol:new", args=[day.today.pk])).status_code == 403
    other = login(world.users["bureau_b"])
    assert other.get(reverse("patrol:detail", args=[patrol.pk])).status_code == 404
    assert other.get(f"{API}/patrols/{patrol.pk}").status_code == 404


# --- pages ----------------------------------------------------------------------------------------------------------


def _form_data(day: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {f"score_{c.pk}": "4" for c in day.extra["rubric"]}
    data.update({"teacher_present": "1", "head_count": "3", "comment": "很好"})
    data.update(overrides)
    return data


def test_the_patrol_page_shows_roll_attendance_and_check_in_then_the_rubric(
    world: Any, day: Any, during: None, login: Any
) -> None:
    StudentAttendanceFactory(lesson=day.today, student=day.students[0], status="present")
    StudentAttendanceFactory(lesson=day.today, student=day.students[1], status="late")
    StudentAttendanceFactory(lesson=day.today, student=day.students[2], status="absent")
    TeacherCheckinFactory(lesson=day.today, teacher=day.teacher)
    page = login(day.extra["patroller"]).get(reverse("patrol:new", args=[day.today.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<dd data-testid="roll-size">3 人</dd>' in html
    assert '<dd data-testid="attended">2 人（已登记 3 人）</dd>' in html
    assert '王老师：<span class="tag tag-success">已签到</span>' in html
    assert 'name="head_count" value="2"' in html  # prefilled with those marked present
    for item in day.extra["rubric"]:
        assert item.name in html and f'name="score_{item.pk}" value="5"' in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html and "multiple" in html


def test_posting_the_patrol_page_records_it_with_photos(world: Any, day: Any, during: None, login: Any) -> None:
    client = login(day.extra["patroller"])
    data = _form_data(day, photos=[sample_upload("png", "现场1.png"), sample_upload("jpg", "现场2.jpg")])
    response = client.post(reverse("patrol:new", args=[day.today.pk]), data)
    assert response.status_code == 302
    patrol = Patrol.objects.get()
    assert patrol.patroller == day.extra["patroller"] and patrol.score_percent == Decimal("75.0")
    assert patrol.photos.count() == 2 and patrol.comment == "很好"
    # A second visit goes to the record instead of a new form.
    again = client.get(reverse("patrol:new", args=[day.today.pk]))
    assert again.status_code == 302 and again["Location"] == reverse("patrol:detail", args=[patrol.pk])


def test_the_patrol_page_shows_chinese_errors(world: Any, day: Any, during: None, login: Any) -> None:
    client = login(day.extra["patroller"])
    first = day.extra["rubric"][0]
    data = _form_data(day, head_count="20")
    data.pop(f"score_{first.pk}")
    response = client.post(reverse("patrol:new", args=[day.today.pk]), data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "请为“课堂秩序”打分" in html and "实到人数不能超过 13" in html
    response = client.post(
        reverse("patrol:new", args=[day.today.pk]), _form_data(day, photos=[sample_upload("pdf", "报告.pdf")])
    )
    assert response.status_code == 422 and "只接受 JPG、PNG 图片" in response.content.decode()
    assert not Patrol.objects.exists()


def test_the_patrol_page_of_a_lesson_not_started_goes_back_with_the_reason(
    world: Any, day: Any, monkeypatch: Any, login: Any
) -> None:
    freeze(monkeypatch, BEFORE)
    client = login(day.extra["patroller"])
    response = client.get(reverse("patrol:new", args=[day.today.pk]), follow=True)
    assert "开课后才能巡课" in response.content.decode()
    response = client.post(reverse("patrol:new", args=[day.today.pk]), _form_data(day))
    assert response.status_code == 302 and not Patrol.objects.exists()


@pytest.fixture
def records(world: Any, day: Any) -> dict[str, Patrol]:
    """Three patrols of school_a (one with the teacher absent) and one of school_b."""
    order, teaching, safety, attendance = day.extra["rubric"]
    other = patroller_user(world.school_a, username="xunke_a2", name="巡课周老师")
    return {
        "past": patrol_of(day.past, day.extra["patroller"], [(order, 5), (teaching, 4)], score_percent=87.5,
                          comment="秩序井然"),
        "today": patrol_of(day.today, other, [(order, 2), (safety, 3)], teacher_present=False, score_percent=37.5),
        "admin": patrol_of(day.today, world.users["school_a"], [(attendance, 4)], score_percent=75),
        "b": patrol_of(day.other_lesson, patroller_user(world.school_b, username="xunke_b")),
    }  # fmt: skip


def test_patrol_list_filters_and_search(world: Any, day: Any, records: dict[str, Patrol]) -> None:
    actor = actor_of(day.extra["patroller"])

    def ids(**filters: Any) -> set[int]:
        return {p.pk for p in selectors.patrol_list(actor=actor, filters=filters)}

    r = records
    assert ids() == {r["past"].pk, r["today"].pk, r["admin"].pk}
    assert ids(date_from=dt.date(2026, 11, 10)) == {r["today"].pk, r["admin"].pk}
    assert ids(date_to=dt.date(2026, 11, 9)) == {r["past"].pk}
    assert ids(teacher_absent=True) == {r["today"].pk}
    assert ids(patroller=world.users["school_a"].pk) == {r["admin"].pk}
    assert ids(teacher=day.teacher.pk) == {r["past"].pk, r["today"].pk, r["admin"].pk}
    assert ids(teacher=world.users["school_a"].pk) == set()
    assert ids(section=day.section.pk) == {r["past"].pk, r["today"].pk, r["admin"].pk}
    assert ids(q="秩序井然") == {r["past"].pk}
    assert ids(q="周老师") == {r["today"].pk}
    assert {p.pk for p in selectors.patrol_list(actor=world.actor("bureau_b"))} == {r["b"].pk}
    assert not selectors.patrol_list(actor=world.actor("teacher_a")).exists()


def test_patrol_list_page_renders_and_exports_one_row_per_patrol_with_item_columns(
    world: Any, day: Any, records: dict[str, Patrol], login: Any
) -> None:
    client = login(world.users["school_a"])
    page = client.get(reverse("patrol:list"), {"teacher_absent": "on"})
    html = page.content.decode()
    assert page.status_code == 200 and "共 1 条" in html and "不在岗" in html and "巡课周老师" in html
    bad = client.get(reverse("patrol:list"), {"date_from": "2026-11-10", "date_to": "2026-11-01", "section": "x"})
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.content.decode()
    response = client.get(reverse("patrol:list"), {"export": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = rows[0]
    assert header[:12] == tuple(services.PATROL_HEADERS)
    assert header[12:] == ("课堂秩序", "教学效果", "安全管理", "学生出勤", "评语")
    by_patroller = {row[7]: row for row in rows[1:]}
    assert len(rows) == 4
    assert by_patroller["巡课李老师"][12:] == (5, 4, None, None, "秩序井然")
    assert by_patroller["巡课周老师"][9:14] == ("否", 20, 37.5, 2, None)
    assert AuditEvent.objects.filter(event="export", detail__what="patrols").count() == 1


def test_patrol_detail_page_shows_scores_head_count_against_roll_and_photos(
    world: Any, day: Any, records: dict[str, Patrol], login: Any
) -> None:
    patrol = records["past"]
    photo = PatrolPhotoFactory(patrol=patrol)
    client = login(day.extra["patroller"])
    html = client.get(reverse("patrol:detail", args=[patrol.pk])).content.decode()
    assert '<strong data-testid="score-percent">87.5%</strong>' in html
    assert '<dd data-testid="head-count">20 / 3 人</dd>' in html
    assert "秩序井然" in html and "课堂秩序" in html
    photo_url = reverse("patrol:photo", args=[patrol.pk, photo.pk])
    assert f'<img src="{photo_url}"' in html
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    # A teacher without the permission reads none of it.
    assert login(world.users["teacher_a"]).get(reverse("patrol:detail", args=[patrol.pk])).status_code == 403
    assert login(world.users["teacher_a"]).get(photo_url).status_code == 403
    assert login(world.users["parent"]).get(reverse("patrol:list")).status_code == 403


# --- API ------------------------------------------------------------------------------------------------------------


def _post(client: Any, path: str, data: Any) -> Any:
    return client.post(f"{API}{path}", data=json.dumps(data), content_type="application/json")


def test_api_records_a_patrol_then_refuses_the_second_with_409(world: Any, day: Any, during: None, login: Any) -> None:
    client = login(day.extra["patroller"])
    scores = [{"criterion_id": c.pk, "score": 5} for c in day.extra["rubric"]]
    response = _post(client, f"/lessons/{day.today.pk}/patrols", {"scores": scores, "head_count": 3, "comment": "好"})
    assert response.status_code == 201
    body = response.json()
    assert body["score_percent"] == 100.0 and body["roll_size"] == 3 and body["teacher_present"] is True
    assert [s["name"] for s in body["scores"]] == ["课堂秩序", "教学效果", "安全管理", "学生出勤"]
    again = _post(client, f"/lessons/{day.today.pk}/patrols", {"scores": scores, "head_count": 3})
    assert again.status_code == 409 and again.json()["code"] == "already_patrolled"
    assert again.json()["message"] == "您已巡过这节课"


def test_api_refusals_have_codes(world: Any, day: Any, during: None, login: Any) -> None:
    client = login(day.extra["patroller"])
    scores = [{"criterion_id": c.pk, "score": 5} for c in day.extra["rubric"]]
    bad = _post(client, f"/lessons/{day.today.pk}/patrols", {"scores": scores[:3], "head_count": 3})
    assert bad.status_code == 422 and list(bad.json()["detail"]) == [f"score_{day.extra['rubric'][3].pk}"]
    past = _post(client, f"/lessons/{day.past.pk}/patrols", {"scores": scores, "head_count": 3})
    assert past.status_code == 409 and past.json()["code"] == "not_today"
    missing = _post(client, "/lessons/999999/patrols", {"scores": scores, "head_count": 3})
    assert missing.status_code == 404


def test_api_photos_one_per_call_at_most_nine_images_only(world: Any, day: Any, during: None, login: Any) -> None:
    patrol = _record(day, photos=[sample_upload("png", f"p{i}.png") for i in range(8)])
    client = login(day.extra["patroller"])
    url = f"{API}/patrols/{patrol.pk}/photos"
    pdf = client.post(url, {"file": sample_upload("pdf")})
    assert pdf.status_code == 422 and pdf.json()["detail"] == {"file": ["此处不接受 PDF 文档：只接受 JPG、PNG 图片"]}
    ninth = client.post(url, {"file": sample_upload("jpg")})
    assert ninth.status_code == 201 and ninth.json()["content_type"] == "image/jpeg"
    download = client.get(ninth.json()["url"])
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    tenth = client.post(url, {"file": sample_upload("png")})
    assert tenth.status_code == 409 and tenth.json()["code"] == "too_many_photos"
    assert PatrolPhoto.objects.filter(patrol=patrol).count() == 9
    other = login(world.users["school_a"]).post(url, {"file": sample_upload("png")})
    assert other.status_code == 403


def test_api_lists_and_reads_patrols(world: Any, day: Any, records: dict[str, Patrol], login: Any) -> None:
    client = login(world.users["school_a"])
    body = client.get(f"{API}/patrols", {"teacher_absent": "true", "page_size": 10}).json()
    assert body["count"] == 1 and body["items"][0]["id"] == records["today"].pk
    assert body["items"][0]["teachers"] == [{"id": day.teacher.pk, "name": "王老师"}]
    body = client.get(f"{API}/patrols").json()
    assert body["count"] == 3 and body["num_pages"] == 1
    detail = client.get(f"{API}/patrols/{records['past'].pk}").json()
    assert detail["scores"] == [
        {"criterion_id": day.extra["rubric"][0].pk, "name": "课堂秩序", "scale": "five", "score": 5},
        {"criterion_id": day.extra["rubric"][1].pk, "name": "教学效果", "scale": "five", "score": 4},
    ]
    assert detail["score_percent"] == 87.5 and detail["comment"] == "秩序井然" and detail["photos"] == []
    assert login(world.users["parent"]).get(f"{API}/patrols").json()["count"] == 0
