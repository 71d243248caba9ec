"""The simulated bank: payments, a payment page the payer confirms, signed asynchronous notices retried on a
schedule, queries, refunds and a daily statement. State lives in one JSON file (written atomically on each
change), so a restart keeps every payment and refund."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import sm2
from .protocol import MAX_SKEW, canonical, request_payload, response_payload

CST = dt.timezone(dt.timedelta(hours=8))  # statements are per calendar day in China Standard Time
MAX_BODY = 64 * 1024
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
NOTICE_MODES = ("normal", "drop", "duplicate", "reorder")


@dataclass
class Config:
    bank_private_key: str
    merchants: dict[str, str]  # merchant id -> public key
    retry_schedule: list[float] = field(default_factory=lambda: [0, 2, 10, 60, 300])
    notice_mode: str = "normal"  # test hook: drop | duplicate | reorder
    test_hooks: bool = False
    notify_timeout: float = 5.0


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    """The bank's books, in memory and in a JSON file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.data: dict[str, Any] = {"payments": {}, "refunds": {}, "nonces": {}, "notices": 0}
        if path is not None and path.exists():
            self.data.update(json.loads(path.read_text("utf-8")))

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, self.path)

    def use_nonce(self, merchant_id: str, nonce: str, now: float) -> bool:
        """False when the nonce was seen already (a replay)."""
        with self.lock:
            nonces: dict[str, float] = self.data["nonces"]
            for key in [k for k, t in nonces.items() if t < now - 2 * MAX_SKEW]:
                del nonces[key]
            key = f"{merchant_id}:{nonce}"
            if key in nonces:
                return False
            nonces[key] = now
            self.save()
            return True

    def payment_by_order(self, merchant_id: str, order_no: str) -> dict[str, Any] | None:
        for p in self.data["payments"].values():
            if p["merchant_id"] == merchant_id and p["order_no"] == order_no:
                return p  # type: ignore[no-any-return]
        return None

    def next_notice_id(self) -> str:
        self.data["notices"] += 1
        return f"N{self.data['notices']:010d}"


class Bank:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.bank_public_key = sm2.public_key(config.bank_private_key)
        self._held: list[tuple[str, dict[str, Any]]] = []  # reorder mode: a notice waiting for the next one

    # --- signing ---------------------------------------------------------------------------------------------

    def sign(self, data: bytes) -> str:
        return sm2.sign(self.config.bank_private_key, data)

    # --- notices ---------------------------------------------------------------------------------------------

    def notice_for_payment(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "payment", "merchant_id": p["merchant_id"], "order_no": p["order_no"],
            "payment_id": p["payment_id"], "txn_id": p.get("txn_id") or "", "amount_fen": p["amount_fen"],
            "status": p["status"], "paid_at": p.get("paid_at") or "",
        }  # fmt: skip

    def notice_for_refund(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "refund", "merchant_id": r["merchant_id"], "order_no": r["order_no"],
            "refund_no": r["refund_no"], "refund_id": r["refund_id"], "txn_id": r["txn_id"],
            "amount_fen": r["amount_fen"], "status": r["status"], "refunded_at": r["created_at"],
        }  # fmt: skip

    def send_notice(self, url: str, notice: dict[str, Any]) -> None:
        """Deliver in the background, retried on the schedule; the test hooks drop, duplicate or reorder."""
        mode = self.config.notice_mode
        if not url or mode == "drop":
            return
        with self.store.lock:
            notice = {**notice, "notice_id": self.store.next_notice_id()}
            self.store.save()
        if mode == "duplicate":
            # The same notice delivered twice, one after the other (concurrent duplicates are tested on PostgreSQL
            # with threads; SQLite's in-memory test database is one connection shared by the live server's threads).
            def twice() -> None:
                self._deliver(url, notice)
                self._deliver(url, notice)

            threading.Thread(target=twice, daemon=True).start()
            return
        if mode == "reorder":
            with self.store.lock:
                self._held.append((url, notice))
                if len(self._held) < 2:
                    return  # held until the next notice, which then goes first
                batch, self._held = list(reversed(self._held)), []
            for held_url, held_notice in batch:
                self._deliver_once_then_retry(held_url, held_notice)
            return
        threading.Thread(target=self._deliver, args=(url, notice), daemon=True).start()

    def _deliver_once_then_retry(self, url: str, notice: dict[str, Any]) -> None:
        # In order: the first attempt here, synchronously; the retries, if any, in the background.
        if not self._post_notice(url, notice):
            threading.Thread(target=self._deliver, args=(url, notice, 1), daemon=True).start()

    def flush_held(self) -> None:
        with self.store.lock:
            batch, self._held = self._held, []
        for url, notice in batch:
            self._deliver_once_then_retry(url, notice)

    def _deliver(self, url: str, notice: dict[str, Any], start: int = 0) -> None:
        for delay in self.config.retry_schedule[start:]:
            if delay:
                time.sleep(delay)
            if self._post_notice(url, notice):
                return

    def _post_notice(self, url: str, notice: dict[str, Any]) -> bool:
        body = {**notice, "sent_at": now_iso(), "nonce": secrets.token_hex(12)}
        data = canonical(body)
        request = urllib.request.Request(  # noqa: S310 - notify URLs are checked to be http(s) when stored
            url, data=data, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "X-Signature": self.sign(data)},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.config.notify_timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
                return bool(response.status == 200 and answer.get("result") == "success")
        except (urllib.error.URLError, OSError, ValueError):
            return False

    # --- operations ------------------------------------------------------------------------------------------

    def create_payment(self, merchant_id: str, body: dict[str, Any], base_url: str) -> tuple[int, dict[str, Any]]:
        order_no, amount, description = body.get("order_no"), body.get("amount_fen"), body.get("description", "")
        notify_url, return_url = body.get("notify_url", ""), body.get("return_url", "")
        if not isinstance(order_no, str) or not _ID.fullmatch(order_no):
            return 400, {"code": "bad_order_no", "message": "order_no 必须为 1-64 位字母数字"}
        if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= 10**12:
            return 400, {"code": "bad_amount", "message": "amount_fen 必须为正整数（分）"}
        for name, value in (("notify_url", notify_url), ("return_url", return_url)):
            if not isinstance(value, str) or not value.startswith(("http://", "https://")) or len(value) > 500:
                return 400, {"code": f"bad_{name}", "message": f"{name} 必须为 http(s) 地址"}
        if not isinstance(description, str) or len(description) > 200:
            return 400, {"code": "bad_description", "message": "description 最多 200 字"}
        with self.store.lock:
            existing = self.store.payment_by_order(merchant_id, order_no)
            if existing is not None:
                if existing["amount_fen"] != amount:
                    return 409, {"code": "amount_mismatch", "message": "同一订单的金额不一致"}
                if existing["status"] == "paid":
                    return 409, {"code": "already_paid", "message": "订单已支付", **self._payment_view(existing)}
                existing.update(notify_url=notify_url, return_url=return_url, status="pending")
                self.store.save()
                return 200, {**self._payment_view(existing), "pay_url": f"{base_url}/pay/{existing['payment_id']}"}
            payment_id = "P" + secrets.token_hex(10)
            record = {
                "payment_id": payment_id, "merchant_id": merchant_id, "order_no": order_no, "amount_fen": amount,
                "description": description, "notify_url": notify_url, "return_url": return_url,
                "status": "pending", "txn_id": None, "created_at": now_iso(), "paid_at": None, "refunded_fen": 0,
            }  # fmt: skip
            self.store.data["payments"][payment_id] = record
            self.store.save()
        return 201, {**self._payment_view(record), "pay_url": f"{base_url}/pay/{payment_id}"}

    @staticmethod
    def _payment_view(p: dict[str, Any]) -> dict[str, Any]:
        keys = ("payment_id", "order_no", "amount_fen", "status", "txn_id", "paid_at", "refunded_fen")
        return {k: p.get(k) for k in keys}

    def confirm(self, payment_id: str, action: str) -> dict[str, Any] | None:
        """The payer pressed 确认支付 (or 取消). Idempotent: a paid payment stays paid with its txn id."""
        with self.store.lock:
            p = self.store.data["payments"].get(payment_id)
            if p is None or p["status"] != "pending":
                return p  # type: ignore[no-any-return]
            if action == "confirm":
                p.update(status="paid", txn_id="T" + secrets.token_hex(12), paid_at=now_iso())
            else:
                p.update(status="cancelled")
            self.store.save()
            notice = self.notice_for_payment(p)
        self.send_notice(p["notify_url"], notice)
        return p  # type: ignore[no-any-return]

    def query(self, merchant_id: str, order_no: str) -> tuple[int, dict[str, Any]]:
        with self.store.lock:
            p = self.store.payment_by_order(merchant_id, order_no)
            if p is None:
                return 404, {"code": "not_found", "message": "没有这笔支付"}
            return 200, self._payment_view(p)

    def refund(self, merchant_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        refund_no, order_no, txn_id, amount = (body.get(k) for k in ("refund_no", "order_no", "txn_id", "amount_fen"))
        notify_url = body.get("notify_url", "")
        if not isinstance(refund_no, str) or not _ID.fullmatch(refund_no):
            return 400, {"code": "bad_refund_no", "message": "refund_no 必须为 1-64 位字母数字"}
        if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= 10**12:
            return 400, {"code": "bad_amount", "message": "amount_fen 必须为正整数（分）"}
        if not isinstance(notify_url, str) or len(notify_url) > 500:
            return 400, {"code": "bad_notify_url", "message": "notify_url 无效"}
        with self.store.lock:
            refunds: dict[str, dict[str, Any]] = self.store.data["refunds"]
            key = f"{merchant_id}:{refund_no}"
            if key in refunds:  # idempotent by refund_no: the same answer again
                r = refunds[key]
                if (r["order_no"], r["amount_fen"]) != (order_no, amount):
                    return 409, {"code": "refund_no_reused", "message": "退款单号已用于另一笔退款"}
                return 200, self._refund_view(r)
            p = self.store.payment_by_order(merchant_id, str(order_no))
            r = {
                "refund_no": refund_no, "refund_id": "R" + secrets.token_hex(10), "merchant_id": merchant_id,
                "order_no": order_no, "txn_id": txn_id, "amount_fen": amount, "created_at": now_iso(),
                "status": "succeeded", "reason": "",
            }  # fmt: skip
            if p is None or p["status"] != "paid" or p["txn_id"] != txn_id:
                r.update(status="failed", reason="原交易不存在或未支付")
            elif p["refunded_fen"] + amount > p["amount_fen"]:
                r.update(status="failed", reason=f"退款超过可退金额（已退 {p['refunded_fen']} 分）")
            else:
                p["refunded_fen"] += amount
            refunds[key] = r
            self.store.save()
            notice = self.notice_for_refund(r)
        self.send_notice(notify_url, notice)
        return 200, self._refund_view(r)

    @staticmethod
    def _refund_view(r: dict[str, Any]) -> dict[str, Any]:
        keys = ("refund_no", "refund_id", "order_no", "txn_id", "amount_fen", "status", "reason", "created_at")
        return {k: r.get(k) for k in keys}

    def statement(self, merchant_id: str, day: dt.date) -> str:
        """CSV of the day's paid payments and succeeded refunds (China Standard Time), then the totals."""

        def on_day(stamp: str | None) -> bool:
            return bool(stamp) and dt.datetime.fromisoformat(str(stamp)).astimezone(CST).date() == day

        lines = ["type,reference,txn_id,amount_fen,time"]
        paid = refunded = 0
        n_paid = n_refunded = 0
        with self.store.lock:
            payments = sorted(self.store.data["payments"].values(), key=lambda p: p.get("paid_at") or "")
            for p in payments:
                if p["merchant_id"] == merchant_id and p["status"] == "paid" and on_day(p["paid_at"]):
                    lines.append(f"payment,{p['order_no']},{p['txn_id']},{p['amount_fen']},{p['paid_at']}")
                    paid += p["amount_fen"]
                    n_paid += 1
            refunds = sorted(self.store.data["refunds"].values(), key=lambda r: r["created_at"])
            for r in refunds:
                if r["merchant_id"] == merchant_id and r["status"] == "succeeded" and on_day(r["created_at"]):
                    lines.append(f"refund,{r['refund_no']},{r['txn_id']},{r['amount_fen']},{r['created_at']}")
                    refunded += r["amount_fen"]
                    n_refunded += 1
        lines.append(f"totals,payments={n_paid};refunds={n_refunded},,{paid - refunded},")
        return "\n".join(lines) + "\n"


PAY_PAGE = """<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>模拟银行 · 支付</title></head>
<body>
<h1>模拟银行收银台</h1>
<p>订单号：{order_no}</p>
<p>商品：{description}</p>
<p>金额：¥{yuan}</p>
<p>状态：{status}</p>
{forms}
</body></html>
"""

FORMS = """<form method="post" action="/pay/{payment_id}">
<input type="hidden" name="action" value="confirm"><button type="submit">确认支付</button></form>
<form method="post" action="/pay/{payment_id}">
<input type="hidden" name="action" value="cancel"><button type="submit">取消</button></form>
"""

STATUS_TEXT = {"pending": "待支付", "paid": "已支付", "cancelled": "已取消"}


def make_handler(bank: Bank) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SimBank/1.0"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            if os.environ.get("SIMBANK_LOG"):
                super().log_message(format, *args)

        # --- plumbing ---------------------------------------------------------------------------------------

        def _read(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise ValueError("body too large")
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, body: Any, *, content_type: str = "application/json; charset=utf-8") -> None:
            timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
            data = body.encode("utf-8") if isinstance(body, str) else canonical(body)
            signature = bank.sign(response_payload(timestamp=timestamp, nonce=nonce, body=body))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Timestamp", timestamp)
            self.send_header("X-Nonce", nonce)
            self.send_header("X-Signature", signature)
            self.end_headers()
            self.wfile.write(data)

        def _send_html(self, status: int, text: str) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, url: str) -> None:
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _authenticate(self, raw: bytes) -> tuple[str, Any] | None:
            """The merchant id and the parsed body of a signed request, or None after answering 400/401."""
            merchant_id = self.headers.get("X-Merchant-Id", "")
            timestamp = self.headers.get("X-Timestamp", "")
            nonce = self.headers.get("X-Nonce", "")
            signature = self.headers.get("X-Signature", "")
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._send(400, {"code": "bad_json", "message": "请求体不是 JSON"})
                return None
            key = bank.config.merchants.get(merchant_id)
            if key is None:
                self._send(401, {"code": "unknown_merchant", "message": "商户不存在"})
                return None
            path = urllib.parse.urlsplit(self.path).path
            payload = request_payload(
                method=self.command, path=path, merchant_id=merchant_id, timestamp=timestamp, nonce=nonce, body=body
            )
            if not sm2.verify(key, payload, signature):
                self._send(401, {"code": "bad_signature", "message": "验签失败"})
                return None
            now = time.time()
            if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_SKEW:
                self._send(401, {"code": "stale", "message": "请求时间戳超出允许范围"})
                return None
            if not 8 <= len(nonce) <= 64 or not bank.store.use_nonce(merchant_id, nonce, now):
                self._send(401, {"code": "replay", "message": "重复的请求（nonce 已使用）"})
                return None
            return merchant_id, body

        def _base_url(self) -> str:
            address: Any = self.server.server_address
            host = self.headers.get("Host") or f"{address[0]}:{address[1]}"
            return f"http://{host}"

        # --- routes -----------------------------------------------------------------------------------------

        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            if path == "/health":
                self._send(200, {"status": "ok"})
                return
            if m := re.fullmatch(r"/pay/([A-Za-z0-9]{1,64})", path):
                p = bank.store.data["payments"].get(m.group(1))
                if p is None:
                    self._send_html(404, "<!doctype html><p>支付单不存在</p>")
                    return
                forms = FORMS.format(payment_id=p["payment_id"]) if p["status"] == "pending" else ""
                page = PAY_PAGE.format(
                    order_no=html.escape(p["order_no"]), description=html.escape(p["description"]),
                    yuan=f"{p['amount_fen'] / 100:.2f}", status=STATUS_TEXT.get(p["status"], p["status"]), forms=forms,
                )  # fmt: skip
                self._send_html(200, page)
                return
            auth = self._authenticate(b"")
            if auth is None:
                return
            merchant_id, _body = auth
            if m := re.fullmatch(r"/api/payments/([A-Za-z0-9_-]{1,64})", path):
                self._send(*bank.query(merchant_id, m.group(1)))
                return
            if m := re.fullmatch(r"/api/statements/(\d{4}-\d{2}-\d{2})", path):
                try:
                    day = dt.date.fromisoformat(m.group(1))
                except ValueError:
                    self._send(400, {"code": "bad_date", "message": "日期无效"})
                    return
                self._send(200, bank.statement(merchant_id, day), content_type="text/csv; charset=utf-8")
                return
            self._send(404, {"code": "not_found", "message": "没有这个接口"})

        def do_POST(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            try:
                raw = self._read()
            except ValueError:
                self._send(413, {"code": "too_large", "message": "请求体过大"})
                return
            if m := re.fullmatch(r"/pay/([A-Za-z0-9]{1,64})", path):
                form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
                action = (form.get("action") or ["confirm"])[0]
                p = bank.confirm(m.group(1), "confirm" if action == "confirm" else "cancel")
                if p is None:
                    self._send_html(404, "<!doctype html><p>支付单不存在</p>")
                    return
                sep = "&" if "?" in p["return_url"] else "?"
                self._redirect(f"{p['return_url']}{sep}{urllib.parse.urlencode({'order_no': p['order_no']})}")
                return
            if path.startswith("/test/"):
                self._test_hook(path, raw)
                return
            auth = self._authenticate(raw)
            if auth is None:
                return
            merchant_id, body = auth
            if not isinstance(body, dict):
                self._send(400, {"code": "bad_json", "message": "请求体必须是 JSON 对象"})
                return
            if path == "/api/payments":
                self._send(*bank.create_payment(merchant_id, body, self._base_url()))
            elif path == "/api/refunds":
                self._send(*bank.refund(merchant_id, body))
            else:
                self._send(404, {"code": "not_found", "message": "没有这个接口"})

        def _test_hook(self, path: str, raw: bytes) -> None:
            """Only with --test-hooks: change the notice mode, re-send a payment's notice, flush held notices."""
            if not bank.config.test_hooks:
                self._send(404, {"code": "not_found", "message": "没有这个接口"})
                return
            body = json.loads(raw or b"{}")
            if path == "/test/config":
                if body.get("notice_mode") in NOTICE_MODES:
                    bank.config.notice_mode = body["notice_mode"]
                if isinstance(body.get("retry_schedule"), list):
                    bank.config.retry_schedule = [float(x) for x in body["retry_schedule"]]
                self._send(200, {"notice_mode": bank.config.notice_mode, "retry_schedule": bank.config.retry_schedule})
            elif m := re.fullmatch(r"/test/notices/([A-Za-z0-9]{1,64})", path):
                p = bank.store.data["payments"].get(m.group(1))
                if p is None:
                    self._send(404, {"code": "not_found", "message": "支付单不存在"})
                    return
                bank.send_notice(p["notify_url"], bank.notice_for_payment(p))
                self._send(200, {"sent": True})
            elif path == "/test/flush":
                bank.flush_held()
                self._send(200, {"flushed": True})
            else:
                self._send(404, {"code": "not_found", "message": "没有这个接口"})

    return Handler


def make_server(host: str, port: int, bank: Bank) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(bank))
    server.daemon_threads = True
    return server
