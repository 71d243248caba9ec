"""Pages: the live unread count, pushed to open pages as server-sent events (static/js/live.js listens).

The stream starts with the person's current count, then sends an `unread` event whenever the count changes, a
comment every ~20 s so proxies keep the connection, and ends after ~5 minutes; the browser reconnects by itself
(`retry`) and gets the current count again, which also repairs any push lost meanwhile.

One view serves both servers without blocking either: under ASGI (uvicorn, production) the body is an async
generator awaiting the broker in the event loop; under WSGI (runserver, the embedded default, the test live server)
it is a plain iterable, since each request has its own thread there. Django would otherwise buffer a mismatched
iterator whole (StreamingHttpResponse consumes a sync iterator into a list under ASGI, and an async one under WSGI),
i.e. never send anything. Either way the page subscribes before the count is read, so no change falls between
the two. The database connection is released before waiting: an open page must not hold one."""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator, Iterable, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from .. import live

STREAM_SECONDS = 300.0
HEARTBEAT_SECONDS = 20.0
RETRY_MILLISECONDS = 5000


def _event(count: int) -> bytes:
    return f"event: unread\ndata: {json.dumps({'count': count})}\n\n".encode()


def _opening(count: int) -> bytes:
    return f"retry: {RETRY_MILLISECONDS}\n\n".encode() + _event(count)


_HEARTBEAT = b": keep-alive\n\n"


def _current_count(user_id: int) -> int:
    """The count now; then this thread's database connections are closed (unless a test's transaction holds them)."""
    try:
        return live.unread_count_of(user_id)
    finally:
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close()


def _lifetime() -> float:
    # A little spread, so pages opened together do not all reconnect in the same second.
    return STREAM_SECONDS * random.uniform(0.9, 1.0)  # noqa: S311 - not for security


class _SyncStream:
    """The WSGI body. It subscribes before the view reads the count, so a change in between is not lost (the body
    only sends a count that differs from the last one sent); the body itself touches no database, since under WSGI
    the request is over, for the server, once the view returns. The response closes it (Django calls the close()
    of a streamed iterable), which ends the subscription even if the body was never read."""

    def __init__(self, user_id: int) -> None:
        self._subscription = live.subscribe(user_id)
        try:
            self._first = _current_count(user_id)
        except BaseException:
            self._subscription.close()
            raise

    def __iter__(self) -> Iterator[bytes]:
        deadline = time.monotonic() + _lifetime()
        with self._subscription as subscription:
            last = self._first
            yield _opening(last)
            while (left := deadline - time.monotonic()) > 0:
                count = subscription.get(timeout=min(HEARTBEAT_SECONDS, left))
                if count is None:
                    yield _HEARTBEAT
                elif count != last:
                    last = count
                    yield _event(count)

    def close(self) -> None:
        self._subscription.close()


async def _async_stream(user_id: int) -> AsyncIterator[bytes]:
    deadline = time.monotonic() + _lifetime()
    with live.asubscribe(user_id) as subscription:
        last = await sync_to_async(_current_count)(user_id)
        yield _opening(last)
        while (left := deadline - time.monotonic()) > 0:
            count = await subscription.aget(timeout=min(HEARTBEAT_SECONDS, left))
            if count is None:
                yield _HEARTBEAT
            elif count != last:
                last = count
                yield _event(count)


@require_GET
def unread_stream(request: HttpRequest) -> HttpResponseBase:
    if not request.user.is_authenticated:
        # No stream for anonymous visitors (EventSource does not retry after a 401).
        return HttpResponse("请先登录", status=401, content_type="text/plain; charset=utf-8")
    user_id = request.user.pk
    request.passive_session = True  # type: ignore[attr-defined]  # the page's own reconnects are not activity
    if isinstance(request, ASGIRequest):
        body: Iterable[bytes] | AsyncIterator[bytes] = _async_stream(user_id)
    else:
        body = _SyncStream(user_id)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


urlpatterns = [
    path("stream/", unread_stream, name="stream"),
]
