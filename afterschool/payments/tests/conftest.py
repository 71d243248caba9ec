"""The simulated bank as a real subprocess on a free port (started once per test session, reset per test)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Any, *, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until predicate() is truthy (returned), or fail after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {predicate}")
        time.sleep(interval)


class SimBank:
    def __init__(self, url: str) -> None:
        self.url = url

    def hook(self, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(self.url + path, data=json.dumps(body or {}).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def set_mode(self, mode: str) -> None:
        self.hook("/test/config", {"notice_mode": mode})


@pytest.fixture(scope="session")
def simbank_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimBank]:
    port = _free_port()
    data = tmp_path_factory.mktemp("simbank") / "simbank.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "simbank", "--port", str(port), "--data", str(data), "--retry-schedule",
         "0,0.2,0.5", "--test-hooks"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"simbank exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    try:
        wait_until(ready, timeout=15)
        yield SimBank(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()


@pytest.fixture
def simbank(simbank_process: SimBank, live_server: Any, settings: Any) -> Iterator[SimBank]:
    """The bank, its notices going to this test's live Django server; normal notice delivery."""
    settings.PAYMENT_GATEWAY = {"url": simbank_process.url, "notify_base_url": live_server.url, "timeout": 5}
    simbank_process.set_mode("normal")
    yield simbank_process
    simbank_process.set_mode("normal")
