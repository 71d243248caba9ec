"""Audit chain: appends per second (1 and 8 writers) and verification time."""

from __future__ import annotations

import statistics
import threading
import time

from _setup import setup

setup()

from django.db import connection, connections  # noqa: E402

from afterschool.accounts.audit import audit_record, audit_verify  # noqa: E402
from afterschool.tenancy.actor import system_actor  # noqa: E402

ACTOR = system_actor()


def one_writer(n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        audit_record(actor=ACTOR, event="create", detail={"i": i})
    return n / (time.perf_counter() - start)


def many_writers(threads: int, each: int) -> float:
    """Eight different people writing at once (each person's rows go to that person's chain)."""
    barrier = threading.Barrier(threads)

    def work(person: int) -> None:
        barrier.wait()
        for i in range(each):
            audit_record(actor=None, event="create", user_id=person, username=f"user{person}", detail={"i": i})
        connections.close_all()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return threads * each / (time.perf_counter() - start)


if __name__ == "__main__":
    print(f"database: {connection.vendor}")
    rates = [one_writer(500) for _ in range(3)]
    print(f"1 writer:  {statistics.median(rates):8.0f} appends/s (median of 3 × 500)")
    print(f"8 writers: {many_writers(8, 200):8.0f} appends/s (8 × 200)")
    start = time.perf_counter()
    report = audit_verify()
    print(f"verify:    {report.checked} rows in {time.perf_counter() - start:.2f} s, intact={report.ok}")
