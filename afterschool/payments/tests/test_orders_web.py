"""Course selection and orders through the API and the pages (parents on phones, school admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from afterschool.accounts.models import AuditEvent
from afterschool.payments.models import Order
from afterschool.payments.tests.factories_orders import child_of, open_setup

pytestmark = pytest.mark.django_db
API = "/api/v1/payments"


@pytest.fixture
def fam(world: Any) -> Any:
    setup = open_setup(world.school_a, materials_fee_fen=2000)
    child = child_of(world.users["parent"], setup.classes[0], name="王小明")
    return setup, child


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


# --- API -----------------------------------------------------------------------------------------------------------


def test_given_parent_when_using_api_then_select_order_read_list_and_close(world: Any, fam: Any, login: Any) -> None:
    setup, child = fam
    client = login(world.users["parent"])
    r = client.get(f"{API}/selectable?student_id={child.pk}")
    assert r.status_code == 200
    [item] = r.json()
    assert item["section_id"] == setup.section.pk and item["seats_left"] == 30 and item["fee_yuan"] == "300.00"
    assert item["materials_included"] is False and item["can_order"] is True
    r = _post(client, f"{API}/orders", {"section_id": setup.section.pk, "student_id": child.pk, "with_materials": True})
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["amount_fen"] == 32000 and order["status"] == "pending"
    r = _post(client, f"{API}/orders", {"section_id": setup.section.pk, "student_id": child.pk})
    assert r.status_code == 409 and r.json()["code"] == "already_enrolled"
    assert client.get(f"{API}/orders/{order['id']}").json()["order_no"] == order["order_no"]
    listed = client.get(f"{API}/orders?status=pending").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == order["id"]
    r = _post(client, f"{API}/orders/{order['id']}/close", {})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = _post(client, f"{API}/orders/{order['id']}/close", {})
    assert r.status_code == 409


def test_given_overdue_order_when_read_by_api_then_closed(world: Any, fam: Any, login: Any) -> None:
    setup, child = fam
    client = login(world.users["parent"])
    order_id = _post(client, f"{API}/orders", {"section_id": setup.section.pk, "student_id": child.pk}).json()["id"]
    Order.objects.filter(pk=order_id).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(f"{API}/orders/{order_id}").json()["status"] == "closed"
    assert Order.objects.get(pk=order_id).status == "closed"


def test_given_bad_input_when_calling_api_then_4xx(world: Any, fam: Any, login: Any) -> None:
    _setup, child = fam
    client = login(world.users["parent"])
    assert client.get(f"{API}/selectable").status_code == 422
    assert client.get(f"{API}/selectable?student_id=0").status_code == 422
    assert _post(client, f"{API}/orders", {"section_id": "x", "student_id": child.pk}).status_code == 422
    assert _post(client, f"{API}/orders", {"section_id": 2**62, "student_id": child.pk}).status_code == 404
    assert client.get(f"{API}/orders/{2**62}").status_code == 404
    assert client.get(f"{API}/orders?status=bogus").status_code == 422


def test_given_other_tenants_when_using_api_then_404(world: Any, fam: Any, login: Any) -> None:
    setup, child = fam
    parent = login(world.users["parent"])
    order_id = _post(parent, f"{API}/orders", {"section_id": setup.section.pk, "student_id": child.pk}).json()["id"]
    other = login(world.users["school_a2"])
    assert other.get(f"{API}/orders/{order_id}").status_code == 404
    assert _post(other, f"{API}/orders/{order_id}/close", {"reason": "x"}).status_code == 404
    assert other.get(f"{API}/selectable?student_id={child.pk}").status_code == 404
    r = _post(other, f"{API}/orders", {"section_id": setup.section.pk, "student_id": setup.students[0].pk})
    assert r.status_code == 404
    assert other.get(f"{API}/orders").json()["count"] == 0
    school = login(world.users["school_a"])
    assert school.get(f"{API}/orders/{order_id}").status_code == 200
    assert login(world.users["teacher_a"]).get(f"{API}/orders/{order_id}").status_code == 404


# --- pages ---------------------------------------------------------------------------------------------------------


def test_given_parent_when_selecting_on_pages_then_card_confirm_order_detail_with_countdown(
    world: Any, fam: Any, login: Any
) -> None:
    setup, child = fam
    client = login(world.users["parent"])
    page = client.get(reverse("payments:selection")).content.decode()
    assert setup.section.name in page and "剩余 30 / 30" in page and "王小明" in page
    confirm_url = reverse("payments:order_confirm", args=[child.pk, setup.section.pk])
    assert confirm_url in page
    confirm = client.get(confirm_url).content.decode()
    assert "同时购买材料" in confirm and "¥300.00" in confirm
    r = client.post(confirm_url, {"with_materials": "on"})
    order = Order.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("payments:order_detail", args=[order.pk])
    assert order.amount_fen == 32000
    detail = client.get(r["Location"]).content.decode()
    assert "¥320.00" in detail and 'class="countdown" data-deadline="' in detail and "js/orders.js" in detail
    assert "去支付" in detail and reverse("payments:pay_start", args=[order.pk]) in detail and "<script>" not in detail
    again = client.post(confirm_url, {})
    assert again.status_code == 200 and "已报名" in again.content.decode()
    assert Order.objects.count() == 1


def test_given_parent_when_giving_up_on_pages_then_confirm_then_closed(world: Any, fam: Any, login: Any) -> None:
    setup, child = fam
    client = login(world.users["parent"])
    client.post(reverse("payments:order_confirm", args=[child.pk, setup.section.pk]), {})
    order = Order.objects.get()
    url = reverse("payments:order_close", args=[order.pk])
    assert "确认关闭" in client.get(url).content.decode()
    assert Order.objects.get().status == "pending"
    r = client.post(url, {})
    assert r.status_code == 302 and Order.objects.get().status == "closed"
    assert "已关闭" in client.get(r["Location"]).content.decode()
    assert login(world.users["school_a2"]).post(url, {"reason": "x"}).status_code == 404


def test_given_school_admin_when_listing_orders_then_filters_search_export_audited(
    world: Any, fam: Any, login: Any
) -> None:
    setup, child = fam
    parent = login(world.users["parent"])
    parent.post(reverse("payments:order_confirm", args=[child.pk, setup.section.pk]), {})
    school = login(world.users["school_a"])
    url = reverse("payments:order_list")
    page = school.get(url, {"q": "王小明", "status": "pending", "section": setup.section.pk}).content.decode()
    assert "王小明" in page and "待支付" in page
    assert "王小明" not in school.get(url, {"status": "paid"}).content.decode()
    assert "王小明" not in login(world.users["school_a2"]).get(url).content.decode()
    assert school.get(url, {"date_from": "bad"}).status_code == 200
    r = school.get(url, {"export": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(event="export", detail__what="orders").exists()
    assert "王小明" in parent.get(url).content.decode()
    assert login(world.users["teacher_a"]).get(url).status_code == 403


def test_given_closed_section_when_opening_confirm_then_back_to_selection(world: Any, fam: Any, login: Any) -> None:
    setup, child = fam
    setup.section.status = "running"
    setup.section.save(update_fields=["status"])
    client = login(world.users["parent"])
    r = client.get(reverse("payments:order_confirm", args=[child.pk, setup.section.pk]))
    assert r.status_code == 302 and reverse("payments:selection") in r["Location"]
    assert "没有王小明可以报名的课班" in client.get(reverse("payments:selection")).content.decode()


def test_given_a_full_section_when_a_parent_opens_selection_then_it_offers_the_waitlist(
    world: Any, fam: Any, login: Any
) -> None:
    from afterschool.enrollment.tests.factories import EnrollmentFactory

    setup, child = fam
    setup.section.max_students = 1
    setup.section.save()
    EnrollmentFactory(section=setup.section, student__school_class=child.school_class)
    page = login(world.users["parent"]).get(reverse("payments:selection")).content.decode()
    assert reverse("payments:waitlist_join") in page and "候补" in page
