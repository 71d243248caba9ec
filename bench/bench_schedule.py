"""Automatic scheduling (排课): CP-SAT beside a greedy baseline on a one-school and a district instance.

Pure solver, no database: `.venv/bin/python bench/bench_schedule.py [--time-limit 50] [--workers 2]`.
Prints sizes, CP-SAT solve time, status, hard violations (recounted by the independent checker; must be 0, else
the exit status is 1), soft score (lower is better) and the greedy baseline's time, hard violations, unplaced
sections and soft score on the same instance.
"""

from __future__ import annotations

import argparse
import sys
import time

from schedule_instances import district, one_school

from afterschool.scheduling.solver import (
    W_GRADE_CATEGORY,
    W_NOT_PREFERRED,
    W_TEACHER_DAY,
    Instance,
    check,
    greedy,
    solve,
)


def run(name: str, instance: Instance, *, time_limit: float, workers: int) -> bool:
    sessions = sum(s.sessions_per_week for s in instance.sections)
    schools = len({s.school for s in instance.sections})
    shared = sum(1 for t in instance.teachers if len({s.school for s in instance.sections if t.id in s.teachers}) > 1)
    print(f"== {name}: {len(instance.sections)} sections ({sessions} sessions/week), {len(instance.teachers)} teachers "
          f"({shared} shared by several schools), {len(instance.venues)} venues, {len(instance.slots)} slots, "
          f"{schools} school(s)")  # fmt: skip
    started = time.perf_counter()
    assignment = greedy(instance)
    greedy_seconds = time.perf_counter() - started
    report = check(instance, assignment)
    print(f"   greedy : {greedy_seconds:7.2f} s  hard violations {report.hard_violations}  "
          f"unplaced {len(report.unplaced)}  soft {report.soft.score} {report.soft.as_dict()}")  # fmt: skip
    result = solve(instance, time_limit_s=time_limit, workers=workers)
    print(f"   CP-SAT : {result.solve_seconds:7.2f} s  status {result.status}  "
          f"hard violations {result.hard_violations}  unplaced {result.unplaced}  "
          f"soft {result.soft.score} {result.soft.as_dict()}  objective {result.objective}")  # fmt: skip
    if result.conflicts:
        print("   conflicts:", *result.conflicts[:5], sep="\n     ")
    return result.feasible and result.hard_violations == 0 and result.unplaced == 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=("school", "district"))
    args = parser.parse_args()
    print(f"soft weights: teacher same weekday ×{W_TEACHER_DAY}, same grade+category same time ×{W_GRADE_CATEGORY}, "
          f"not preferred ×{W_NOT_PREFERRED}; time limit {args.time_limit:g} s, {args.workers} workers")  # fmt: skip
    ok = True
    if args.only in (None, "school"):
        ok &= run("one school", one_school(), time_limit=min(args.time_limit, 20.0), workers=args.workers)
    if args.only in (None, "district"):
        ok &= run("district", district(), time_limit=args.time_limit, workers=args.workers)
    print("OK" if ok else "FAILED: CP-SAT left hard violations or unplaced sections")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
