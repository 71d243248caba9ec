"""The simulated bank on its own: SM2 agreement with the platform's crypto, signed requests (forgeries and replays
refused), idempotent refunds never above the amount paid, and the daily statement's totals."""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from afterschool.core.crypto import sm2_sign, sm2_verify
from afterschool.payments.gateway import GatewayError, SimBankGateway
from simbank import keys, sm2
from simbank.protocol import canonical
from simbank.server import CST, Bank, Config, Store, make_server


def test_given_simbank_sm2_when_signing_then_platform_crypto_agrees_both_ways() -> None:
    private, public = sm2.generate_keypair()
    assert sm2_verify(public, b"data", sm2.sign(private, b"data"))
    assert sm2.verify(public, b"data", sm2_sign(private, b"data"))
    assert not sm2.verify(public, b"other", sm2_sign(private, b"data"))
    assert not sm2.verify(public, b"data", "00" * 64) and not sm2.verify("zz", b"data", "00")
    assert sm2.public_key(keys.DEV_BANK_PRIVATE_KEY) == keys.DEV_BANK_PUBLIC_KEY


@pytest.fixture
def bank(tmp_path: Any) -> Bank:
    config = Config(
        bank_private_key=keys.DEV_BANK_PRIVATE_KEY, merchants={keys.DEV_MERCHANT_ID: keys.DEV_MERCHANT_PUBLIC_KEY},
        retry_schedule=[0], notice_mode="drop",
    )  # fmt: skip
    return Bank(config, Store(tmp_path / "bank.json"))


def _paid(bank: Bank, order_no: str, amount: int = 30000) -> dict[str, Any]:
    status, created = bank.create_payment(
        keys.DEV_MERCHANT_ID, {"order_no": order_no, "amount_fen": amount, "notify_url": "http://x/n",
                               "return_url": "http://x/r"}, "http://bank",
    )  # fmt: skip
    assert status == 201
    return bank.confirm(created["payment_id"], "confirm") or {}


def test_given_refunds_when_repeated_or_above_paid_then_idempotent_and_capped(bank: Bank) -> None:
    p = _paid(bank, "O1")
    ask = {"refund_no": "R1", "order_no": "O1", "txn_id": p["txn_id"], "amount_fen": 20000}

    first, again = bank.refund(keys.DEV_MERCHANT_ID, ask), bank.refund(keys.DEV_MERCHANT_ID, ask)
    too_much = bank.refund(keys.DEV_MERCHANT_ID, {**ask, "refund_no": "R2", "amount_fen": 10001})
    rest = bank.refund(keys.DEV_MERCHANT_ID, {**ask, "refund_no": "R3", "amount_fen": 10000})
    reused = bank.refund(keys.DEV_MERCHANT_ID, {**ask, "amount_fen": 1})
    wrong_txn = bank.refund(keys.DEV_MERCHANT_ID, {**ask, "refund_no": "R4", "txn_id": "T-x"})

    assert first == again and first[1]["status"] == "succeeded"
    assert too_much[1]["status"] == "failed" and "超过可退金额" in too_much[1]["reason"]
    assert rest[1]["status"] == "succeeded"
    assert reused[0] == 409
    assert wrong_txn[1]["status"] == "failed"
    assert bank.store.data["payments"][p["payment_id"]]["refunded_fen"] == 30000


def test_given_payments_and_refunds_when_statement_then_rows_and_totals(bank: Bank, tmp_path: Any) -> None:
    p1, _p2 = _paid(bank, "O1", 30000), _paid(bank, "O2", 5000)
    _paid(bank, "O3", 700)
    bank.refund(keys.DEV_MERCHANT_ID, {"refund_no": "R1", "order_no": "O1", "txn_id": p1["txn_id"], "amount_fen": 1000})
    pending = bank.create_payment(
        keys.DEV_MERCHANT_ID, {"order_no": "O4", "amount_fen": 9, "notify_url": "http://x", "return_url": "http://x"},
        "http://bank",
    )  # fmt: skip
    assert pending[0] == 201
    today = dt.datetime.now(CST).date()

    lines = bank.statement(keys.DEV_MERCHANT_ID, today).splitlines()

    assert lines[0] == "type,reference,txn_id,amount_fen,time"
    assert [line.split(",")[:2] for line in lines[1:-1]] == [
        ["payment", "O1"], ["payment", "O2"], ["payment", "O3"], ["refund", "R1"],
    ]  # fmt: skip
    assert lines[-1] == "totals,payments=3;refunds=1,,34700,"
    assert bank.statement(keys.DEV_MERCHANT_ID, today - dt.timedelta(days=1)).splitlines()[1].startswith("totals")
    assert (
        Bank(bank.config, Store(tmp_path / "bank.json")).statement(keys.DEV_MERCHANT_ID, today)
        == "\n".join(lines) + "\n"
    )  # a restart keeps the books


@pytest.fixture
def served(bank: Bank) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, bank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _client(url: str, **kw: Any) -> SimBankGateway:
    conf = {"url": url, "merchant_id": keys.DEV_MERCHANT_ID, "merchant_private_key": keys.DEV_MERCHANT_PRIVATE_KEY,
            "bank_public_key": keys.DEV_BANK_PUBLIC_KEY} | kw  # fmt: skip
    return SimBankGateway(**conf)


def test_given_signed_client_when_calling_bank_then_create_query_refund_statement_work(served: str) -> None:
    client = _client(served)
    created = client.create_payment(
        order_no="O9", amount_fen=100, description="课后服务", notify_url="http://x/n", return_url="http://x/r"
    )
    assert created.pay_url == f"{served}/pay/{created.payment_id}" and created.status == "pending"
    assert client.query_payment(order_no="O9") == created.__class__(**{**created.__dict__, "pay_url": ""})
    assert client.query_payment(order_no="NONE") is None
    refund = client.refund(refund_no="R9", order_no="O9", txn_id="", amount_fen=1)
    assert refund.status == "failed"  # not paid
    assert client.statement(day=dt.datetime.now(CST).date().isoformat()).startswith("type,")


def test_given_wrong_keys_when_calling_bank_then_refused_or_answer_rejected(served: str) -> None:
    with pytest.raises(GatewayError) as forged:
        _client(served, merchant_private_key=keys.DEV_BANK_PRIVATE_KEY).query_payment(order_no="O1")
    assert forged.value.status == 401 and forged.value.code == "bad_signature"
    with pytest.raises(GatewayError, match="验签失败"):  # the platform does not trust an answer it cannot verify
        _client(served, bank_public_key=keys.DEV_MERCHANT_PUBLIC_KEY).query_payment(order_no="O1")


def test_given_replayed_or_stale_request_when_sent_then_refused(served: str) -> None:
    path, ts, nonce = "/api/payments/O1", str(int(time.time())), "n" * 16
    payload = canonical({"body": None, "merchant_id": keys.DEV_MERCHANT_ID, "method": "GET", "nonce": nonce,
                         "path": path, "timestamp": ts})  # fmt: skip
    headers = {"X-Merchant-Id": keys.DEV_MERCHANT_ID, "X-Timestamp": ts, "X-Nonce": nonce,
               "X-Signature": sm2_sign(keys.DEV_MERCHANT_PRIVATE_KEY, payload)}  # fmt: skip

    def send(h: dict[str, str]) -> int:
        try:
            with urllib.request.urlopen(urllib.request.Request(served + path, headers=h), timeout=5) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    assert send(headers) == 404  # accepted (no such payment)
    assert send(headers) == 401  # the same nonce again: a replay
    old = str(int(time.time()) - 3600)
    stale = canonical({"body": None, "merchant_id": keys.DEV_MERCHANT_ID, "method": "GET", "nonce": "m" * 16,
                       "path": path, "timestamp": old})  # fmt: skip
    assert send({**headers, "X-Timestamp": old, "X-Nonce": "m" * 16,
                 "X-Signature": sm2_sign(keys.DEV_MERCHANT_PRIVATE_KEY, stale)}) == 401  # fmt: skip


def test_given_test_hooks_off_when_calling_them_then_404(served: str) -> None:
    request = urllib.request.Request(served + "/test/config", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=5)
    assert exc.value.code == 404
