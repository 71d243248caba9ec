"""Paying through the bank gateway end to end: the simulated bank runs as a subprocess, its notices reach a live
Django server; credit-once under duplicate, out-of-order, forged and concurrent notices; the query fallback."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from afterschool.core.crypto import sm2_sign
from afterschool.core.errors import Conflict, NotFound
from afterschool.enrollment.choices import EnrollmentStatus
from afterschool.notifications.models import Notification
from afterschool.payments.choices import OrderStatus, PaymentStatus
from afterschool.payments.gateway import canonical, gateway_settings
from afterschool.payments.models import BankNotice, Order, Payment
from afterschool.payments.services import orders as order_services
from afterschool.payments.services import pay as services
from afterschool.payments.tests.conftest import SimBank, wait_until
from afterschool.payments.tests.factories_orders import child_of, open_setup, open_window
from afterschool.scheduling.tests.factories import SectionFactory
from simbank import keys


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def confirm_on_bank_page(pay_url: str, action: str = "confirm") -> str:
    """The parent presses 确认支付 on the bank's page; returns where the bank sends them back."""
    with urllib.request.urlopen(pay_url, timeout=5) as page:
        assert "确认支付" in page.read().decode()
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(urllib.request.Request(pay_url, data=f"action={action}".encode(), method="POST"), timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 303
        return str(exc.headers["Location"])
    raise AssertionError("the bank did not redirect")


def make_order(world: Any, **kwargs: Any) -> Order:
    setup = open_setup(world.school_a, **kwargs)
    child = child_of(world.users["parent"], setup.classes[0])
    return order_services.order_create(actor=world.actor("parent"), section=setup.section, student=child)


def bank_notice(order: Order, *, txn_id: str = "T-1", amount_fen: int | None = None, status: str = "paid",
                key: str = keys.DEV_BANK_PRIVATE_KEY, payment_id: str = "P-1") -> tuple[bytes, str]:  # fmt: skip
    amount = order.amount_fen if amount_fen is None else amount_fen
    body = {
        "kind": "payment", "merchant_id": gateway_settings()["merchant_id"], "order_no": order.order_no,
        "payment_id": payment_id, "txn_id": txn_id, "amount_fen": amount,
        "status": status, "paid_at": timezone.now().isoformat(), "notice_id": "N1", "sent_at": "", "nonce": "abc",
    }  # fmt: skip
    data = canonical(body)
    return data, sm2_sign(key, data)


def assert_paid_once(order: Order) -> None:
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_at is not None
    assert order.enrollment.status == EnrollmentStatus.ACTIVE
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 1


def _paid(order: Order) -> bool:
    return Order.objects.filter(pk=order.pk, status=OrderStatus.PAID).exists()


def _logged_notice(order: Order, outcome: str) -> BankNotice | None:
    """The notice once its outcome is saved: the order is credited in the notice's own transaction and the log row is
    completed just after it commits, so an order seen paid does not yet mean a completed log row."""
    return BankNotice.objects.filter(reference=order.order_no, outcome=outcome).first()


# --- end to end through the simulated bank -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_given_pending_order_when_parent_pays_on_bank_page_then_notice_credits_order_and_activates_place(
    world: Any, simbank: SimBank
) -> None:
    order = make_order(world)
    pay_url = services.payment_start(actor=world.actor("parent"), order=order)
    assert Payment.objects.get(order=order).status == PaymentStatus.PENDING

    back = confirm_on_bank_page(pay_url)

    assert back.endswith(f"{reverse('payments:pay_return')}?order_no={order.order_no}")
    wait_until(lambda: _paid(order))
    assert_paid_once(order)
    notice = wait_until(lambda: _logged_notice(order, "credited"))
    assert notice.verified and BankNotice.objects.filter(reference=order.order_no).count() == 1
    assert Notification.objects.filter(title__contains="已缴费").exists()


@pytest.mark.django_db(transaction=True)
def test_given_paid_order_when_bank_resends_notice_then_credited_once(world: Any, simbank: SimBank) -> None:
    order = make_order(world)
    confirm_on_bank_page(services.payment_start(actor=world.actor("parent"), order=order))
    wait_until(lambda: _paid(order))
    payment_id = Payment.objects.get(order=order).bank_payment_id

    simbank.hook(f"/test/notices/{payment_id}")

    wait_until(lambda: BankNotice.objects.filter(reference=order.order_no, outcome="duplicate").exists())
    assert_paid_once(order)


@pytest.mark.django_db(transaction=True)
def test_given_bank_duplicates_notices_when_paid_then_credited_once(world: Any, simbank: SimBank) -> None:
    simbank.set_mode("duplicate")
    order = make_order(world)
    confirm_on_bank_page(services.payment_start(actor=world.actor("parent"), order=order))

    wait_until(lambda: BankNotice.objects.filter(reference=order.order_no).exclude(outcome="").count() >= 2)
    assert sorted(BankNotice.objects.filter(reference=order.order_no).values_list("outcome", flat=True)) == [
        "credited", "duplicate",
    ]  # fmt: skip
    assert_paid_once(order)


@pytest.mark.django_db(transaction=True)
def test_given_reordered_notices_when_cancel_notice_comes_after_paid_then_still_paid(
    world: Any, simbank: SimBank
) -> None:
    """Two orders; the bank holds the first notice and delivers the second one first (out of order)."""
    simbank.set_mode("reorder")
    first = make_order(world)
    section = SectionFactory(school=world.school_a, term=first.section.term, status="open", fee_fen=20000)
    section.grades.set(first.section.grades.all())
    open_window(section)
    child = child_of(world.users["parent"], first.student.school_class)
    second = order_services.order_create(actor=world.actor("parent"), section=section, student=child)
    confirm_on_bank_page(services.payment_start(actor=world.actor("parent"), order=first))
    confirm_on_bank_page(services.payment_start(actor=world.actor("parent"), order=second), action="cancel")

    wait_until(lambda: _paid(first))
    wait_until(lambda: _logged_notice(first, "credited"))
    assert_paid_once(first)
    second.refresh_from_db()
    assert second.status == OrderStatus.PENDING
    assert Payment.objects.get(order=second).status == PaymentStatus.FAILED
    outcomes = list(BankNotice.objects.order_by("pk").values_list("reference", "outcome"))
    assert outcomes == [(second.order_no, "not_paid"), (first.order_no, "credited")]


@pytest.mark.django_db(transaction=True)
def test_given_lost_notice_when_query_task_runs_then_bank_is_asked_and_order_credited(
    world: Any, simbank: SimBank
) -> None:
    simbank.set_mode("drop")
    order = make_order(world)
    confirm_on_bank_page(services.payment_start(actor=world.actor("parent"), order=order))
    assert not _paid(order)

    assert services.payments_query_pending(now=timezone.now(), older_than=dt.timedelta(minutes=5)) == 0  # too new
    credited = services.payments_query_pending(now=timezone.now() + dt.timedelta(minutes=10))

    assert credited == 1
    assert_paid_once(order)
    assert services.payments_query_pending(now=timezone.now() + dt.timedelta(minutes=10)) == 0  # nothing left
    assert not BankNotice.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_given_lost_notice_when_parent_comes_back_then_return_page_asks_bank_and_shows_paid(
    world: Any, simbank: SimBank, login: Any
) -> None:
    simbank.set_mode("drop")
    order = make_order(world)
    back = confirm_on_bank_page(services.payment_start(actor=world.actor("parent"), order=order))

    response = login(world.users["parent"]).get(back)

    assert response.status_code == 200
    assert "支付成功" in response.content.decode()
    assert_paid_once(order)


@pytest.mark.django_db(transaction=True)
def test_given_order_page_when_parent_presses_pay_then_redirected_to_bank(
    world: Any, simbank: SimBank, login: Any
) -> None:
    order = make_order(world)

    response = login(world.users["parent"]).post(reverse("payments:pay_start", kwargs={"order_id": order.pk}))

    assert response.status_code == 302 and response["Location"].startswith(simbank.url + "/pay/")
    assert Payment.objects.filter(order=order, status=PaymentStatus.PENDING).count() == 1


@pytest.mark.django_db(transaction=True)
def test_given_payment_started_twice_when_paying_then_one_bank_payment(world: Any, simbank: SimBank) -> None:
    order = make_order(world)
    first = services.payment_start(actor=world.actor("parent"), order=order)
    second = services.payment_start(actor=world.actor("parent"), order=order)
    assert first == second
    assert Payment.objects.filter(order=order).count() == 1


# --- who may pay, which orders ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_given_other_users_when_starting_payment_then_404(world: Any) -> None:
    order = make_order(world)
    for key in ("school_a", "teacher_a", "school_b", "bureau_a"):
        with pytest.raises(NotFound):
            services.payment_start(actor=world.actor(key), order=order)


@pytest.mark.django_db
def test_given_foreign_order_when_pressing_pay_then_404(world: Any, login: Any, settings: Any) -> None:
    order = make_order(world)
    response = login(world.users["school_b"]).post(reverse("payments:pay_start", kwargs={"order_id": order.pk}))
    assert response.status_code == 404
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_given_closed_or_overdue_order_when_starting_payment_then_refused(world: Any) -> None:
    order = make_order(world)
    Order.objects.filter(pk=order.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    order.refresh_from_db()
    with pytest.raises(Conflict) as overdue:
        services.payment_start(actor=world.actor("parent"), order=order)
    assert "超过支付时限" in overdue.value.message
    order_services.order_expire(order_id=order.pk)
    order.refresh_from_db()
    with pytest.raises(Conflict):
        services.payment_start(actor=world.actor("parent"), order=order)


@pytest.mark.django_db
def test_given_bank_down_when_starting_payment_then_409_in_chinese(world: Any, settings: Any) -> None:
    settings.PAYMENT_GATEWAY = {"url": "http://127.0.0.1:9", "timeout": 1}
    order = make_order(world)
    with pytest.raises(Conflict) as exc:
        services.payment_start(actor=world.actor("parent"), order=order)
    assert exc.value.code == "gateway_unavailable" and "银行" in exc.value.message
    assert not Payment.objects.exists()


# --- the notify endpoint (no bank needed: notices signed here with the bank's dev key) ----------------------------


def _post_notice(client: Any, data: bytes, signature: str) -> Any:
    return client.post(
        reverse("payments:bank_notify"), data=data, content_type="application/json", HTTP_X_SIGNATURE=signature
    )


@pytest.mark.django_db
def test_given_valid_notice_when_posted_then_credited_and_answer_success(
    world: Any, client: Any, settings: Any
) -> None:
    order = make_order(world)
    response = _post_notice(client, *bank_notice(order))
    assert response.status_code == 200 and response.json()["result"] == "success"
    assert_paid_once(order)


@pytest.mark.django_db
def test_given_forged_signature_when_notice_posted_then_refused_and_logged(
    world: Any, client: Any, settings: Any
) -> None:
    order = make_order(world)
    response = _post_notice(client, *bank_notice(order, key=keys.DEV_MERCHANT_PRIVATE_KEY))
    assert response.status_code == 400
    notice = BankNotice.objects.get()
    assert (notice.verified, notice.outcome) == (False, "bad_signature")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not Payment.objects.exists()


@pytest.mark.django_db
def test_given_tampered_body_when_notice_posted_then_refused(world: Any, client: Any, settings: Any) -> None:
    order = make_order(world)
    data, signature = bank_notice(order)
    tampered = data.replace(b'"amount_fen":30000', b'"amount_fen":1')
    assert tampered != data
    assert _post_notice(client, tampered, signature).status_code == 400
    assert _post_notice(client, b"not json", signature).status_code == 400
    assert list(BankNotice.objects.order_by("pk").values_list("outcome", flat=True)) == ["bad_signature", "malformed"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "outcome"),
    [({"amount_fen": 1}, "amount_mismatch"), ({"order_no": "NOPE"}, "unknown_order")],
)
def test_given_signed_notice_with_wrong_amount_or_order_when_posted_then_refused(
    world: Any, client: Any, settings: Any, change: dict[str, Any], outcome: str
) -> None:
    order = make_order(world)
    body = json.loads(bank_notice(order)[0]) | change
    data = canonical(body)
    response = _post_notice(client, data, sm2_sign(keys.DEV_BANK_PRIVATE_KEY, data))
    assert response.status_code == 400
    assert BankNotice.objects.get().outcome == outcome
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


@pytest.mark.django_db
def test_given_other_merchant_when_notice_posted_then_refused(world: Any) -> None:
    order = make_order(world)
    body = json.loads(bank_notice(order)[0]) | {"merchant_id": "SOMEONE-ELSE"}
    data = canonical(body)
    result = services.notice_receive(body=data, signature=sm2_sign(keys.DEV_BANK_PRIVATE_KEY, data))
    assert (result.status, result.outcome) == (400, "wrong_merchant")


@pytest.mark.django_db
def test_given_order_closed_at_deadline_when_paid_notice_arrives_then_seat_restored(world: Any) -> None:
    order = make_order(world)
    Order.objects.filter(pk=order.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    order_services.order_expire(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED

    result = services.notice_receive(body=(n := bank_notice(order))[0], signature=n[1])

    assert (result.status, result.outcome) == (200, "credited_after_close")
    assert_paid_once(order)


@pytest.mark.django_db
def test_given_closed_order_whose_seat_is_gone_when_paid_notice_arrives_then_paid_after_close_and_school_told(
    world: Any,
) -> None:
    order = make_order(world, max_students=1)
    Order.objects.filter(pk=order.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    order_services.order_expire(order_id=order.pk)
    other = child_of(world.users["parent"], order.student.school_class)
    order_services.order_create(actor=world.actor("parent"), section=order.section, student=other)

    result = services.notice_receive(body=(n := bank_notice(order))[0], signature=n[1])

    assert (result.status, result.outcome) == (200, "paid_after_close")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert order.enrollment.status == EnrollmentStatus.EXPIRED
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.bank_txn_id) == (PaymentStatus.SUCCEEDED, "T-1")
    assert BankNotice.objects.get().outcome == "paid_after_close"
    told = Notification.objects.filter(title__contains="需退款")
    assert told.exists() and told.first().recipient_id == world.users["school_a"].pk  # type: ignore[union-attr]


@pytest.mark.django_db
def test_given_paid_order_when_second_bank_transaction_notified_then_paid_twice_recorded(world: Any) -> None:
    order = make_order(world)
    services.notice_receive(body=(n := bank_notice(order))[0], signature=n[1])
    result = services.notice_receive(body=(m := bank_notice(order, txn_id="T-2"))[0], signature=m[1])
    assert (result.status, result.outcome) == (200, "paid_twice")
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 2
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_concurrent_duplicate_notices_when_received_then_credited_once(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    order = make_order(world)
    data, signature = bank_notice(order)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(services.notice_receive(body=data, signature=signature).outcome)
        except BaseException as exc:  # pragma: no cover - shown in the assertion
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["credited", "duplicate", "duplicate", "duplicate"]
    assert_paid_once(order)


@pytest.mark.django_db
def test_given_refund_notice_for_unknown_refund_when_posted_then_logged_and_answered_200(world: Any) -> None:
    body = {"kind": "refund", "merchant_id": gateway_settings()["merchant_id"], "refund_no": "R404",
            "refund_id": "R1", "order_no": "O", "txn_id": "T", "amount_fen": 1, "status": "succeeded"}  # fmt: skip
    data = canonical(body)
    result = services.notice_receive(body=data, signature=sm2_sign(keys.DEV_BANK_PRIVATE_KEY, data))
    assert (result.status, result.outcome) == (200, "unknown_refund")
    notice = BankNotice.objects.get()
    assert (notice.kind, notice.reference, notice.verified) == ("refund", "R404", True)
