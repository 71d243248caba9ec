"""An enrolment rush (§5.4.1): many parents at once asking for the same few seats, over HTTP and straight.

Loads a district (default 40 schools, 20,000 students each with a parent account, 400 open 走班 sections of 30
seats, so demand exceeds supply), starts a production-like server (uvicorn with several worker processes on
config.asgi, bench/rush_settings.py: DEBUG off, persistent PostgreSQL connections), logs every parent in by
writing a database session directly, and fires the rush: `--clients` concurrent clients (threads with
http.client, keep-alive) send `--requests` POST /api/v1/payments/orders for a random child and a random section
open to its grade. Prints requests and enrolments per second, p50/p95/p99 latency, the answers (201, 409 by code,
422, anything else), and checks the database: oversell (Σ max(0, seats held − max_students)), duplicate places and
time-clashing places must all be 0. Then the places are emptied and the SAME rush (same requests, same order) runs
straight against the service layer (`order_create` in `--service-threads` threads, each with its own database
connection, no HTTP), with the same figures, so the HTTP overhead is visible. Exits non-zero if a check fails or
a request got an answer other than 201/409/422.

PostgreSQL only (its own database, created and dropped here):

    .venv/bin/python bench/bench_enrol_rush.py
    .venv/bin/python bench/bench_enrol_rush.py --students 5000 --sections 100 --requests 4000 --clients 100 --workers 4
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/afterschool_bench_rush"
CSRF_TOKEN = "benchcsrftokenbenchcsrftoken0123"  # 32 characters: Django's unmasked CSRF secret


@dataclass
class Result:
    label: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)

    @property
    def created(self) -> int:
        return self.answers["201"]

    def report(self) -> str:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(len(lat) * p))] if lat else 0.0

        total = len(lat)
        answers = ", ".join(f"{k} {v}" for k, v in sorted(self.answers.items()))
        return (
            f"{self.label}: {total} requests in {self.seconds:.1f} s — {total / self.seconds:.0f} requests/s, "
            f"{self.created / self.seconds:.0f} enrolments/s; latency p50 {pct(0.50):.0f} ms, p95 {pct(0.95):.0f} ms, "
            f"p99 {pct(0.99):.0f} ms (mean {statistics.fmean(lat) if lat else 0:.0f} ms)\n    answers: {answers}"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--sections", type=int, default=400)
    parser.add_argument("--seats", type=int, default=30, help="max_students of every section")
    parser.add_argument("--requests", type=int, default=5000, help="requests in each rush")
    parser.add_argument(
        "--hot-share",
        type=float,
        default=0.8,
        help="share of requests for the popular section of the child's grade (demand > supply there)",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=40,
        help="concurrent HTTP clients (each in-flight request holds one PostgreSQL connection)",
    )
    parser.add_argument("--workers", type=int, default=4, help="uvicorn worker processes")
    parser.add_argument("--service-threads", type=int, default=8, help="threads of the service-layer rush")
    parser.add_argument("--only", choices=("http", "service"), help="run one rush only")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


# --- setup ---------------------------------------------------------------------------------------------------------


def setup_django() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        sys.exit("bench_enrol_rush.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ["DJANGO_SETTINGS_MODULE"] = "rush_settings"
    sys.path.insert(0, str(BENCH))
    from _setup import setup

    setup()  # drops and creates the database, migrates


def drop_database() -> None:
    from django.db import connection, connections

    name = connection.settings_dict["NAME"]
    connections.close_all()
    import psycopg

    admin_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rush_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
    }
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    server = subprocess.Popen(
        [uvicorn, "config.asgi:application", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server stopped while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            first = conn.getresponse()
            first.read()
            if first.status == 200:
                # Warm every worker (imports, URL resolver, first connection) before the clock starts.
                for _ in range(workers * 4):
                    conn.request("GET", "/healthz")
                    conn.getresponse().read()
                conn.close()
                return server, port
        except (OSError, http.client.HTTPException):
            time.sleep(0.3)
    server.terminate()
    sys.exit("the server did not answer /healthz within 60 s")


# --- the rushes ----------------------------------------------------------------------------------------------------


def http_rush(port: int, requests: list[tuple[int, int]], sessions: dict[int, str], parent_of: dict[int, int],
              clients: int) -> Result:  # fmt: skip
    work: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
    for item in requests:
        work.put(item)
    for _ in range(clients):
        work.put(None)
    result = Result(label=f"HTTP ({clients} clients)")
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies: list[float] = []
        answers: Counter[str] = Counter()
        start.wait()
        while (item := work.get()) is not None:
            student, section = item
            body = json.dumps({"section_id": section, "student_id": student, "with_materials": False})
            headers = {
                "Content-Type": "application/json",
                "Cookie": f"sessionid={sessions[parent_of[student]]}; csrftoken={CSRF_TOKEN}",
                "X-CSRFToken": CSRF_TOKEN,
            }
            began = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/payments/orders", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                latencies.append((time.perf_counter() - began) * 1000)
                answers[f"error {type(exc).__name__}"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            status = response.status
            if status == 409:
                try:
                    answers[f"409 {json.loads(payload).get('code')}"] += 1
                except ValueError:
                    answers["409"] += 1
            else:
                answers[str(status)] += 1
        conn.close()
        with lock:
            result.latencies_ms.extend(latencies)
            result.answers.update(answers)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - began
    return result


def service_rush(requests: list[tuple[int, int]], district: object, threads_n: int) -> Result:
    from django.db import connection

    from afterschool.accounts.models import RoleMembership
    from afterschool.core.errors import AppError
    from afterschool.payments.services.orders import order_create
    from afterschool.scheduling.models import Section
    from afterschool.schools.models import Student
    from afterschool.tenancy.actor import Actor

    parent_of: dict[int, int] = district.parent_of  # type: ignore[attr-defined]
    student_school: dict[int, int] = district.student_school  # type: ignore[attr-defined]
    section_school: dict[int, int] = district.section_school  # type: ignore[attr-defined]
    memberships = {
        m.user_id: m
        for m in RoleMembership.objects.filter(user_id__in={parent_of[s] for s, _ in requests}).select_related("user")
    }
    work: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
    for item in requests:
        work.put(item)
    for _ in range(threads_n):
        work.put(None)
    result = Result(label=f"service layer ({threads_n} threads, no HTTP)")
    lock = threading.Lock()
    start = threading.Barrier(threads_n + 1)

    def worker() -> None:
        latencies: list[float] = []
        answers: Counter[str] = Counter()
        start.wait()
        try:
            while (item := work.get()) is not None:
                student_id, section_id = item
                membership = memberships[parent_of[student_id]]
                actor = Actor(user=membership.user, membership=membership, client_ip="127.0.0.1",
                              permissions=frozenset(membership.permissions or []))  # fmt: skip
                student = Student(pk=student_id, school_id=student_school[student_id])
                section = Section(pk=section_id, school_id=section_school[section_id])
                began = time.perf_counter()
                try:
                    order_create(actor=actor, section=section, student=student, with_materials=False)
                    answers["201"] += 1
                except AppError as exc:
                    answers[f"{exc.status} {exc.code}" if exc.status == 409 else str(exc.status)] += 1
                except Exception as exc:  # noqa: BLE001 — counted and reported as a failure
                    answers[f"error {type(exc).__name__}"] += 1
                latencies.append((time.perf_counter() - began) * 1000)
        finally:
            connection.close()
        with lock:
            result.latencies_ms.extend(latencies)
            result.answers.update(answers)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(threads_n)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - began
    return result


def verify(result: Result) -> bool:
    import rush_data

    found = rush_data.check()
    unexpected = {k: v for k, v in result.answers.items() if k.split(" ")[0] not in ("201", "409", "422")}
    consistent = found.seats_held == result.created
    print(
        f"    database: {found.seats_held} places held ({'= 201s' if consistent else f'≠ {result.created} 201s'}), "
        f"{found.full_sections} sections full; oversell {found.oversell}, duplicates {found.duplicates}, "
        f"time clashes {found.time_clashes}" + (f"; UNEXPECTED answers {unexpected}" if unexpected else "")
    )
    return found.ok and consistent and not unexpected


def main() -> int:
    args = parse_args()
    setup_django()
    import rush_data
    from django.db import connection

    print(f"database: {connection.settings_dict['NAME']} (PostgreSQL); load average {os.getloadavg()[0]:.2f}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    began = time.perf_counter()
    district = rush_data.load(schools=args.schools, students=args.students, sections=args.sections, seats=args.seats)
    requests = rush_data.plan(district, requests=args.requests, hot_share=args.hot_share)
    print(
        f"district: {args.schools} schools, {args.students} students and parent accounts, {args.sections} sections "
        f"× {args.seats} seats = {district.seats} seats; loaded in {time.perf_counter() - began:.1f} s"
    )
    print(f"rush: {len(requests)} requests for {len({s for s, _ in requests})} children "
          f"({len(requests) / max(district.seats, 1):.1f} requests per seat)")  # fmt: skip
    ok = True
    results: list[Result] = []
    try:
        if args.only != "service":
            keys = rush_data.sessions(district, {district.parent_of[s] for s, _ in requests})
            connection.close()
            server, port = start_server(args.workers)
            try:
                print(f"server: uvicorn, {args.workers} workers, port {port}")
                result = http_rush(port, requests, keys, district.parent_of, args.clients)
            finally:
                server.terminate()
                server.wait(timeout=30)
            results.append(result)
            print(result.report())
            ok = verify(result) and ok
            rush_data.reset_places()
        if args.only != "http":
            result = service_rush(requests, district, args.service_threads)
            results.append(result)
            print(result.report())
            ok = verify(result) and ok
        if len(results) == 2:
            h, s = results
            h_rate, s_rate = len(h.latencies_ms) / h.seconds, len(s.latencies_ms) / s.seconds
            print(f"HTTP overhead: {s_rate / h_rate:.2f}× the throughput without HTTP "
                  f"(median {statistics.median(h.latencies_ms):.0f} ms over HTTP vs "
                  f"{statistics.median(s.latencies_ms):.0f} ms in the service layer)")  # fmt: skip
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep:
            print(f"kept database {connection.settings_dict['NAME']}")
        else:
            drop_database()
    print("OK: no oversell, no duplicate, no time clash" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
