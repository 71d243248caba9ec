"""The wire format shared by the bank and its merchants (documented here; the platform re-implements the few lines
it needs in afterschool/payments/gateway.py).

* Bodies are JSON. The *canonical* form of a value is ``json.dumps(value, sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)`` in UTF-8.
* A request from a merchant carries headers ``X-Merchant-Id``, ``X-Timestamp`` (Unix seconds), ``X-Nonce`` (random,
  used once) and ``X-Signature`` = SM2 (merchant key) over the canonical form of
  ``{"body": <parsed JSON body or null>, "merchant_id", "method", "nonce", "path", "timestamp"}``. The bank refuses a
  timestamp more than ``MAX_SKEW`` seconds away and a nonce seen before (401).
* A response from the bank carries ``X-Timestamp``, ``X-Nonce`` and ``X-Signature`` = SM2 (bank key) over the
  canonical form of ``{"body": <parsed JSON body, or the CSV text>, "nonce", "timestamp"}``.
* An asynchronous notice is a JSON body that itself holds ``notice_id``, ``sent_at`` and ``nonce``, with
  ``X-Signature`` = SM2 (bank key) over the canonical form of the body. The merchant answers 200 ``{"result":
  "success"}`` once it has taken the notice (also for a duplicate); anything else makes the bank try again later.
"""

from __future__ import annotations

import json
from typing import Any, Final

MAX_SKEW: Final = 300


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def request_payload(*, method: str, path: str, merchant_id: str, timestamp: str, nonce: str, body: Any) -> bytes:
    return canonical(
        {"body": body, "merchant_id": merchant_id, "method": method.upper(), "nonce": nonce, "path": path,
         "timestamp": timestamp}
    )  # fmt: skip


def response_payload(*, timestamp: str, nonce: str, body: Any) -> bytes:
    return canonical({"body": body, "nonce": nonce, "timestamp": timestamp})
