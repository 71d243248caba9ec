"""The patrol rubric (巡课评价项): a school admin's items — add, edit, reorder, deactivate, delete (a used item is only
deactivated), the default four; who may; another school's items invisible; pages and API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from afterschool.accounts.models import AuditEvent
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.patrol.models import PatrolCriterion
from afterschool.patrol.selectors import rubric as selectors
from afterschool.patrol.services import rubric as services

from .conftest import actor_of, patroller_user
from .factories import PatrolCriterionFactory, PatrolFactory, PatrolScoreFactory, rubric

pytestmark = pytest.mark.django_db

API = "/api/v1/patrol"


def _names(school: Any) -> list[str]:
    return list(PatrolCriterion.objects.filter(school=school).order_by("position", "id").values_list("name", flat=True))


def test_defaults_create_the_four_items_once(world: Any) -> None:
    created = services.rubric_use_defaults(actor=world.actor("school_a"))
    assert [(c.name, c.scale, c.position) for c in created] == [
        ("课堂秩序", "five", 1), ("教学效果", "five", 2), ("安全管理", "five", 3), ("学生出勤", "five", 4),
    ]  # fmt: skip
    assert {c.school_id for c in created} == {world.school_a.pk}
    with pytest.raises(Conflict) as exc:
        services.rubric_use_defaults(actor=world.actor("school_a"))
    assert exc.value.code == "rubric_exists"
    assert AuditEvent.objects.filter(event="create", detail__has_key="patrol_rubric_defaults").count() == 1


def test_the_platform_names_the_school_and_others_may_not_write(world: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.rubric_use_defaults(actor=world.actor("system"))
    services.rubric_use_defaults(actor=world.actor("system"), school_id=world.school_b.pk)
    assert _names(world.school_b)[0] == "课堂秩序"
    for key in ("teacher_a", "bureau_a", "org_a", "parent"):
        with pytest.raises(PermissionDenied):
            services.criterion_create(actor=world.actor(key), data={"name": "x"})
    with pytest.raises(PermissionDenied):
        services.criterion_create(actor=actor_of(patroller_user(world.school_a)), data={"name": "x"})
    # A school admin cannot name another school.
    with pytest.raises(NotFound):
        services.criterion_create(actor=world.actor("school_a"), data={"name": "x"}, school_id=world.school_b.pk)


def test_add_edit_and_refusals(world: Any) -> None:
    actor = world.actor("school_a")
    first = services.criterion_create(actor=actor, data={"name": " 课堂秩序 ", "description": "安静有序"})
    second = services.criterion_create(actor=actor, data={"name": "教学效果", "scale": "ten"})
    assert (first.name, first.scale, first.position, second.position, second.scale) == ("课堂秩序", "five", 1, 2, "ten")
    with pytest.raises(ValidationFailed) as exc:
        services.criterion_create(actor=actor, data={"name": "课堂秩序"})
    assert exc.value.detail == {"name": ["本校已有评价项“课堂秩序”"]}
    with pytest.raises(ValidationFailed) as exc:
        services.criterion_create(actor=actor, data={"name": "", "scale": "seven", "description": "长" * 201})
    assert set(exc.value.detail) == {"name", "scale", "description"}
    # The same name at another school is fine.
    services.criterion_create(actor=world.actor("school_b"), data={"name": "课堂秩序"})
    updated = services.criterion_update(actor=actor, criterion=second, data={"name": "教学质量", "scale": "five"})
    assert (updated.name, updated.scale) == ("教学质量", "five")
    with pytest.raises(ValidationFailed):
        services.criterion_update(actor=actor, criterion=second, data={"name": "课堂秩序"})
    assert AuditEvent.objects.filter(event="update", object_type="patrol.patrolcriterion").count() == 1


def test_move_up_and_down_renumbers(world: Any) -> None:
    actor = world.actor("school_a")
    a, _b, c = rubric(world.school_a, scales=("five", "five", "five"))
    services.criterion_move(actor=actor, criterion=c, direction="up")
    assert _names(world.school_a) == ["课堂秩序", "安全管理", "教学效果"]
    services.criterion_move(actor=actor, criterion=a, direction="down")
    assert _names(world.school_a) == ["安全管理", "课堂秩序", "教学效果"]
    services.criterion_move(actor=actor, criterion=c, direction="up")  # already first: nothing moves
    assert _names(world.school_a) == ["安全管理", "课堂秩序", "教学效果"]
    assert list(
        PatrolCriterion.objects.filter(school=world.school_a).order_by("position").values_list("position", flat=True)
    ) == [1, 2, 3]
    with pytest.raises(ValidationFailed):
        services.criterion_move(actor=actor, criterion=a, direction="left")


def test_delete_an_unused_item_and_deactivate_a_used_one(world: Any) -> None:
    actor = world.actor("school_a")
    unused, used = rubric(world.school_a, scales=("five", "ten"))
    patrol = PatrolFactory(lesson=_lesson(world), patroller=world.users["school_a"])
    PatrolScoreFactory(patrol=patrol, criterion=used, score=7)
    assert services.criterion_delete(actor=actor, criterion=unused) == "deleted"
    assert services.criterion_delete(actor=actor, criterion=used) == "deactivated"
    used.refresh_from_db()
    assert not used.is_active and _names(world.school_a) == ["教学效果"]
    assert patrol.scores.get().criterion == used
    assert AuditEvent.objects.filter(event="delete", object_type="patrol.patrolcriterion").count() == 1
    assert [c.pk for c in selectors.active_criteria(world.school_a.pk)] == []


def _lesson(world: Any) -> Any:
    from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory

    return LessonFactory(section=SectionFactory(school=world.school_a))


def test_another_schools_items_are_invisible(world: Any, login: Any) -> None:
    item = PatrolCriterionFactory(school=world.school_a, name="课堂秩序")
    with pytest.raises(NotFound):
        services.criterion_update(actor=world.actor("school_b"), criterion=item, data={"name": "x"})
    assert not selectors.criterion_list(actor=world.actor("school_b")).exists()
    assert [c.pk for c in selectors.criterion_list(actor=world.actor("bureau_a"))] == [item.pk]
    assert not selectors.criterion_list(actor=world.actor("bureau_b")).exists()
    client = login(world.users["school_b"])
    assert client.get(reverse("patrol:rubric_edit", args=[item.pk])).status_code == 404
    assert client.post(reverse("patrol:rubric_delete", args=[item.pk])).status_code == 404
    assert client.get(f"{API}/criteria/{item.pk}").status_code == 404
    assert client.delete(f"{API}/criteria/{item.pk}").status_code == 404
    assert client.get(f"{API}/criteria").json() == []
    assert PatrolCriterion.objects.filter(pk=item.pk).exists()


# --- pages ----------------------------------------------------------------------------------------------------------


def test_rubric_page_offers_defaults_when_empty_and_lists_items(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    page = client.get(reverse("patrol:rubric"))
    assert page.status_code == 200 and "使用默认评价项" in page.content.decode()
    response = client.post(reverse("patrol:rubric_defaults"), follow=True)
    html = response.content.decode()
    assert "已使用默认评价项：课堂秩序、教学效果、安全管理、学生出勤" in html
    assert "使用默认评价项</button>" not in html and "上移" in html
    assert login(world.users["teacher_a"]).get(reverse("patrol:rubric")).status_code == 403
    assert login(actor_of(patroller_user(world.school_a)).user).get(reverse("patrol:rubric")).status_code == 403
    system = login(world.users["system"])
    assert "选择学校" in system.get(reverse("patrol:rubric")).content.decode()
    assert "课堂秩序" in system.get(reverse("patrol:rubric"), {"school": world.school_a.pk}).content.decode()


def test_rubric_pages_add_edit_move_deactivate_and_delete(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    bad = client.post(reverse("patrol:rubric_new"), {"name": "", "scale": "five"})
    assert bad.status_code == 422 and "请填写评价项名称" in bad.content.decode()
    assert client.post(reverse("patrol:rubric_new"), {"name": "课堂秩序", "scale": "five"}).status_code == 302
    assert client.post(reverse("patrol:rubric_new"), {"name": "教学效果", "scale": "ten"}).status_code == 302
    duplicate = client.post(reverse("patrol:rubric_new"), {"name": "课堂秩序", "scale": "five"})
    assert duplicate.status_code == 422 and "本校已有评价项“课堂秩序”" in duplicate.content.decode()
    order, teaching = PatrolCriterion.objects.filter(school=world.school_a).order_by("position")
    edit = client.post(reverse("patrol:rubric_edit", args=[teaching.pk]), {"name": "教学质量", "scale": "ten"})
    assert edit.status_code == 302
    client.post(reverse("patrol:rubric_move", args=[teaching.pk]), {"direction": "up"})
    assert _names(world.school_a) == ["教学质量", "课堂秩序"]
    client.post(reverse("patrol:rubric_active", args=[order.pk]), {"is_active": "0"})
    order.refresh_from_db()
    assert not order.is_active
    confirm = client.get(reverse("patrol:rubric_delete", args=[order.pk]))
    assert confirm.status_code == 200 and "确认删除" in confirm.content.decode()
    assert PatrolCriterion.objects.filter(pk=order.pk).exists()  # asking deletes nothing
    client.post(reverse("patrol:rubric_delete", args=[order.pk]))
    assert _names(world.school_a) == ["教学质量"]


def test_deleting_a_used_item_asks_to_deactivate(world: Any, login: Any) -> None:
    item = PatrolCriterionFactory(school=world.school_a, name="课堂秩序")
    PatrolScoreFactory(patrol=PatrolFactory(lesson=_lesson(world), patroller=world.users["school_a"]), criterion=item)
    client = login(world.users["school_a"])
    confirm = client.get(reverse("patrol:rubric_delete", args=[item.pk])).content.decode()
    assert "已被巡课记录使用，不能删除" in confirm and "确认停用" in confirm
    response = client.post(reverse("patrol:rubric_delete", args=[item.pk]), follow=True)
    assert "已停用" in response.content.decode()
    item.refresh_from_db()
    assert not item.is_active


# --- API ------------------------------------------------------------------------------------------------------------


def _post(client: Any, path: str, data: Any) -> Any:
    return client.post(f"{API}{path}", data=json.dumps(data), content_type="application/json")


def test_api_rubric_crud(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    created = _post(client, "/criteria", {"name": "课堂秩序", "scale": "ten"})
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["min_score"], body["max_score"], body["position"]) == ("课堂秩序", 0, 10, 1)
    assert _post(client, "/criteria", {"name": "课堂秩序"}).status_code == 422
    assert _post(client, "/criteria", {"name": "x", "scale": "seven"}).status_code == 422
    second = _post(client, "/criteria", {"name": "安全管理"}).json()
    moved = _post(client, f"/criteria/{second['id']}/move", {"direction": "up"})
    assert [c["name"] for c in moved.json()] == ["安全管理", "课堂秩序"]
    patched = client.patch(
        f"{API}/criteria/{body['id']}", data=json.dumps({"is_active": False}), content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert [c["name"] for c in client.get(f"{API}/criteria", {"active": "true"}).json()] == ["安全管理"]
    assert client.delete(f"{API}/criteria/{second['id']}").json() == {"id": second["id"], "result": "deleted"}
    assert _post(client, "/criteria/defaults", {}).status_code == 409
    assert _post(login(world.users["school_b"]), "/criteria/defaults", {}).status_code == 201
    assert _post(login(world.users["teacher_a"]), "/criteria", {"name": "x"}).status_code == 403
    assert _post(login(world.users["system"]), "/criteria", {"name": "x"}).status_code == 422
