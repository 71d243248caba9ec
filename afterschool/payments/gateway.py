"""The bank gateway (支付网关): the interface the platform pays through, and its client for the simulated bank.

Every request is signed with the merchant's SM2 key and every answer and notice is checked against the bank's SM2
public key (wire format: simbank/protocol.py). Settings (``settings.PAYMENT_GATEWAY``)::

    {"url": "http://127.0.0.1:8700", "merchant_id": "...", "merchant_private_key": "<64 hex>",
     "bank_public_key": "<128 hex>", "notify_base_url": "http://127.0.0.1:8000", "timeout": 10}

Until they are configured the development constants of simbank/keys.py are used (never in production).
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from afterschool.core.crypto import sm2_sign, sm2_verify

MAX_SKEW = 300

# Development-only defaults (the same as simbank/keys.py); production settings take them from the environment.
_DEV = {
    "url": "http://127.0.0.1:8700",
    "merchant_id": "AFTERSCHOOL-DEV",
    "merchant_private_key": "5e7399fddd50dcdcc5e84a654d54f85062bf2e96daf10ed833dac1906d9539c1",
    "bank_public_key": "372fab229a1b17b9ef50539b88870d12fbeae7c7d12a7439cbc58e08fdcabfd1"
    "ba272270a31fd11868b1adae0fcabb207065cdfde439062031200fee52f2439c",
    "notify_base_url": "http://127.0.0.1:8000",
    "timeout": 10,
}


class GatewayError(Exception):
    """The bank could not be reached, refused the request, or answered with a bad signature."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class BankPayment:
    payment_id: str
    order_no: str
    amount_fen: int
    status: str  # pending | paid | cancelled
    txn_id: str | None
    paid_at: str | None
    pay_url: str = ""


@dataclass(frozen=True)
class BankRefund:
    refund_no: str
    refund_id: str
    status: str  # succeeded | failed
    amount_fen: int
    reason: str = ""


class BankGateway(Protocol):
    name: str
    merchant_id: str

    def create_payment(
        self, *, order_no: str, amount_fen: int, description: str, notify_url: str, return_url: str
    ) -> BankPayment: ...

    def query_payment(self, *, order_no: str) -> BankPayment | None: ...

    def refund(
        self, *, refund_no: str, order_no: str, txn_id: str, amount_fen: int, notify_url: str = ""
    ) -> BankRefund: ...

    def statement(self, *, day: str) -> str: ...

    def verify_notice(self, *, body: bytes, signature: str) -> bool: ...


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _payment(data: dict[str, Any]) -> BankPayment:
    return BankPayment(
        payment_id=str(data.get("payment_id") or ""), order_no=str(data.get("order_no") or ""),
        amount_fen=int(data.get("amount_fen") or 0), status=str(data.get("status") or ""),
        txn_id=data.get("txn_id") or None, paid_at=data.get("paid_at") or None, pay_url=str(data.get("pay_url") or ""),
    )  # fmt: skip


class SimBankGateway:
    """HTTP client of the simulated bank (``python -m simbank``)."""

    name = "simbank"

    def __init__(self, *, url: str, merchant_id: str, merchant_private_key: str, bank_public_key: str,
                 timeout: float = 10) -> None:  # fmt: skip
        self.url = url.rstrip("/")
        self.merchant_id = merchant_id
        self.merchant_private_key = merchant_private_key
        self.bank_public_key = bank_public_key
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        payload = canonical(
            {"body": body, "merchant_id": self.merchant_id, "method": method, "nonce": nonce, "path": path,
             "timestamp": timestamp}
        )  # fmt: skip
        headers = {
            "X-Merchant-Id": self.merchant_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
            "X-Signature": sm2_sign(self.merchant_private_key, payload), "Content-Type": "application/json",
        }  # fmt: skip
        data = canonical(body) if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                status, raw, answer_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, raw, answer_headers = exc.code, exc.read(), exc.headers
        except (urllib.error.URLError, OSError) as exc:
            raise GatewayError(f"银行接口不可用：{exc}") from exc
        text = raw.decode("utf-8", "replace")
        is_json = "json" in (answer_headers.get("Content-Type") or "")
        try:
            parsed: Any = json.loads(text) if is_json else text
        except ValueError as exc:
            raise GatewayError("银行应答格式错误", status=status) from exc
        stamp = answer_headers.get("X-Timestamp", "")
        signed = canonical({"body": parsed, "nonce": answer_headers.get("X-Nonce", ""), "timestamp": stamp})
        if not sm2_verify(self.bank_public_key, signed, answer_headers.get("X-Signature", "")):
            raise GatewayError("银行应答验签失败", status=status)
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_SKEW:
            raise GatewayError("银行应答时间戳超出允许范围", status=status)
        return status, parsed

    @staticmethod
    def _fail(status: int, answer: Any) -> GatewayError:
        code = answer.get("code", "") if isinstance(answer, dict) else ""
        message = answer.get("message", "") if isinstance(answer, dict) else ""
        return GatewayError(f"银行拒绝请求：{message or status}", status=status, code=code)

    def create_payment(
        self, *, order_no: str, amount_fen: int, description: str, notify_url: str, return_url: str
    ) -> BankPayment:
        status, answer = self._call(
            "POST", "/api/payments",
            {"merchant_id": self.merchant_id, "order_no": order_no, "amount_fen": amount_fen,
             "description": description[:200], "notify_url": notify_url, "return_url": return_url},
        )  # fmt: skip
        if status not in (200, 201) or not isinstance(answer, dict):
            raise self._fail(status, answer)
        return _payment(answer)

    def query_payment(self, *, order_no: str) -> BankPayment | None:
        status, answer = self._call("GET", f"/api/payments/{urllib.parse.quote(order_no)}")
        if status == 404:
            return None
        if status != 200 or not isinstance(answer, dict):
            raise self._fail(status, answer)
        return _payment(answer)

    def refund(
        self, *, refund_no: str, order_no: str, txn_id: str, amount_fen: int, notify_url: str = ""
    ) -> BankRefund:
        status, answer = self._call(
            "POST", "/api/refunds",
            {"refund_no": refund_no, "order_no": order_no, "txn_id": txn_id, "amount_fen": amount_fen,
             "notify_url": notify_url},
        )  # fmt: skip
        if status != 200 or not isinstance(answer, dict):
            raise self._fail(status, answer)
        return BankRefund(
            refund_no=str(answer.get("refund_no")), refund_id=str(answer.get("refund_id") or ""),
            status=str(answer.get("status")), amount_fen=int(answer.get("amount_fen") or 0),
            reason=str(answer.get("reason") or ""),
        )  # fmt: skip

    def statement(self, *, day: str) -> str:
        status, answer = self._call("GET", f"/api/statements/{urllib.parse.quote(day)}")
        if status != 200 or not isinstance(answer, str):
            raise self._fail(status, answer)
        return answer

    def verify_notice(self, *, body: bytes, signature: str) -> bool:
        """The notice's signature is over the canonical form of its JSON body."""
        try:
            parsed = json.loads(body)
        except ValueError:
            return False
        return sm2_verify(self.bank_public_key, canonical(parsed), signature)


def gateway_settings() -> dict[str, Any]:
    return {**_DEV, **(getattr(settings, "PAYMENT_GATEWAY", None) or {})}


def bank_origin() -> str:
    """scheme://host[:port] of the bank, for the CSP of pages whose forms lead there."""
    from urllib.parse import urlsplit

    parts = urlsplit(gateway_settings()["url"])
    return f"{parts.scheme}://{parts.netloc}"


def get_gateway() -> BankGateway:
    conf = gateway_settings()
    return SimBankGateway(
        url=conf["url"], merchant_id=conf["merchant_id"], merchant_private_key=conf["merchant_private_key"],
        bank_public_key=conf["bank_public_key"], timeout=float(conf.get("timeout", 10)),
    )  # fmt: skip
