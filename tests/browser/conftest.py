"""Playwright fixtures for the browser journeys: one chromium per session, one warm page per viewport.

Each test gets that page with cookies and storage cleared, the demo data freshly loaded, and its own PageLog.
Run with `pytest tests/browser` (every test is marked `browser`). Needs Debian's chromium at /usr/bin/chromium
(`apt-get install -y chromium fonts-noto-cjk`); without it the tests skip, or fail when CI is set.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse DB access there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}

# Records CSP violations from the page itself (the init script runs outside the page's CSP).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(
    e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' @' + e.sourceFile + ':' + e.lineNumber);
});
"""

DEFAULT_TIMEOUT_MS = 10_000


_LIVE_SERVER_LOCK = threading.Lock()
_OPEN_STREAMS: set[int] = set()  # ids of streamed responses the live server has not closed yet
STREAM_HEARTBEAT_SECONDS = 0.25


def _serialize_live_server_requests() -> None:
    """The live server shares one SQLite connection between its threads, and every logged-in page keeps a stream of
    server-sent events open (the live unread count) beside its other requests. Requests are handled one at a time
    (the WSGI handler under a lock) so they never meet in that connection; a stream's body holds no lock and touches
    no database once its view has returned, so an open stream does not block anything. Its end does touch the
    connection (request_finished closes old connections), so a stream's close() takes the lock too, and open streams
    are counted: each test waits for them to end before the database is flushed (see `_streams_end_before_flush`)."""
    from django.core.handlers.wsgi import WSGIHandler

    if getattr(WSGIHandler, "_serialized_for_tests", False):
        return
    lock = _LIVE_SERVER_LOCK
    original = WSGIHandler.__call__

    def serial_call(self: Any, environ: Any, start_response: Any) -> Any:
        with lock:
            response = original(self, environ, start_response)
        if getattr(response, "streaming", False):
            key = id(response)
            _OPEN_STREAMS.add(key)
            close = response.close

            def close_under_lock() -> None:
                try:
                    with lock:
                        close()
                finally:
                    _OPEN_STREAMS.discard(key)

            response.close = close_under_lock
        return response

    WSGIHandler.__call__ = serial_call  # type: ignore[method-assign]
    WSGIHandler._serialized_for_tests = True  # type: ignore[attr-defined]


_serialize_live_server_requests()


@pytest.fixture(autouse=True)
def _streams_end_before_flush(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Set up after pytest-django's live-server helper, so torn down before the test database is flushed: waits
    until the streams of pages that went away have ended (a page still open at this point is a test's own
    leftover, and fails the wait). A stream notices a page that went away only when it next writes, so its
    heartbeat is short here."""
    from afterschool.notifications.views import stream

    monkeypatch.setattr(stream, "HEARTBEAT_SECONDS", STREAM_HEARTBEAT_SECONDS)
    yield
    deadline = time.monotonic() + 20 * STREAM_HEARTBEAT_SECONDS
    while _OPEN_STREAMS and time.monotonic() < deadline:
        time.sleep(STREAM_HEARTBEAT_SECONDS / 5)
    assert not _OPEN_STREAMS, f"{len(_OPEN_STREAMS)} event stream(s) still open after the test's pages closed"


@dataclass
class PageLog:
    """Console errors ("text @ url") and uncaught page errors seen during one test."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def csp_problems(self) -> list[str]:
        return [m for m in self.console_errors + self.page_errors if "Content Security Policy" in m]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(live_server: Any) -> dict[str, Any]:
    """The demo data set. live_server uses a transactional DB that is flushed after every test, so load it each time."""
    from axes.utils import reset

    from afterschool.core.demo import load_demo

    reset()
    return load_demo()


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@dataclass
class _Tab:
    page: Any
    log: PageLog = field(default_factory=PageLog)  # swapped for each test's own log


def _open_tab(browser: Any, base_url: str, viewport: str) -> _Tab:
    context = browser.new_context(base_url=base_url, locale="zh-CN", **VIEWPORTS[viewport])
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.add_init_script(CSP_LISTENER)
    tab = _Tab(page=context.new_page())
    tab.page.on(
        "console",
        lambda msg: (
            tab.log.console_errors.append(f"{msg.text} @ {msg.location.get('url', '')}")
            if msg.type == "error"
            else None
        ),
    )
    tab.page.on("pageerror", lambda exc: tab.log.page_errors.append(str(exc)))
    return tab


@pytest.fixture(scope="session")
def _tabs(browser: Any) -> Iterator[dict[str, _Tab]]:
    """One warm context and page per viewport, reused by every test (a fresh context costs ~0.6 s)."""
    tabs: dict[str, _Tab] = {}
    yield tabs
    for tab in tabs.values():
        tab.page.context.close()


@pytest.fixture
def page(
    _tabs: dict[str, _Tab], browser: Any, live_server: Any, demo: Any, viewport: str, page_log: PageLog
) -> Iterator[Any]:
    """A page on the given viewport, base_url at the live server, with no cookies or storage left from earlier tests."""
    tab = _tabs.get(viewport)
    if tab is None or tab.page.is_closed():
        tab = _tabs[viewport] = _open_tab(browser, live_server.url, viewport)
    tab.log = page_log
    yield tab.page
    tab.log = PageLog()
    try:
        if tab.page.url.startswith(live_server.url):
            tab.page.evaluate("localStorage.clear(); sessionStorage.clear()")  # htmx keeps its history cache there
        tab.page.goto("about:blank")
        tab.page.context.clear_cookies()
        with _LIVE_SERVER_LOCK:  # let a request still in flight (a lazy image) finish before the database is flushed
            pass
    except Exception:  # a broken page is replaced rather than reused
        tab.page.context.close()
        del _tabs[viewport]
