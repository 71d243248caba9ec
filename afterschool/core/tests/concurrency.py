"""Running jobs at the same moment in real threads, for the PostgreSQL concurrency tests."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections

from afterschool.core.errors import AppError


def race(
    jobs: Sequence[Callable[[], Any]],
    *,
    workers: int | None = None,
    label: Callable[[AppError], str] = lambda exc: exc.code,
) -> Counter[str]:
    """Run the jobs in `workers` threads (one each by default), released together by a barrier; count the outcomes:
    "ok", the refusal's label (its code by default), or the repr of anything else (which a test then shows). Each
    thread closes its database connections when done."""
    size = workers or len(jobs)
    barrier = threading.Barrier(size)

    def work(job: Callable[[], Any]) -> str:
        try:
            barrier.wait(timeout=30)
            job()
            return "ok"
        except AppError as exc:
            return label(exc)
        except BaseException as exc:  # pragma: no cover - shown in the assertion
            return repr(exc)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=size) as pool:
        return Counter(pool.map(work, jobs))
