"""Automatic scheduling (排课) as a constraint problem, solved with OR-Tools CP-SAT.

Pure Python + OR-Tools, no Django: `services/autoschedule.py` builds an `Instance` from the database and
stores the `Result`; `bench/bench_schedule.py` feeds generated instances.

Model. Each section takes `sessions_per_week` distinct slots among its allowed slots and ONE venue among its
candidate venues (capacity ≥ max_students) for all its sessions. Boolean w[s, t, v] = "section s meets in slot
t in venue v"; x[s, t] = Σ_v w[s, t, v]; y[s, v] = venue choice.

Hard constraints (never broken; `check()` recounts them independently of the model):
  * every section gets exactly sessions_per_week slots, all allowed, pairwise not overlapping;
  * a venue hosts at most one session at a time, and only if its capacity ≥ the section's max_students;
  * a teacher teaches at most one session at a time (across schools: slots of different schools overlap when
    their weekday and times overlap) and never in a slot he is unavailable in (busy elsewhere, not dispatched);
  * a class (原班) has at most one section at a time.

Soft goals (minimised penalty, weights below):
  * W_TEACHER_DAY × (sessions of a teacher on one weekday beyond the first) — spread a teacher's load;
  * W_GRADE_CATEGORY × (sections of the same school, grade and category meeting at the same time beyond the
    first) — keep a grade's popular categories apart so children can choose several;
  * W_NOT_PREFERRED × (sessions outside the section's preferred slots, when it has preferred slots).

When no assignment exists, `explain()` first runs cheap pre-checks that name the culprit, then re-solves with
one assumption literal per constraint group (teacher, venue, class, section) and reports the groups of
`sufficient_assumptions_for_infeasibility` (shrunk to a minimal set when quick) in Chinese.
"""

from __future__ import annotations

import time as _time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

W_TEACHER_DAY = 3
W_GRADE_CATEGORY = 2
W_NOT_PREFERRED = 1

WEEKDAY_NAMES = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}


# --- instance -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    id: int
    weekday: int  # 1 = Monday … 7 = Sunday
    start: int  # minutes since midnight
    end: int
    school: int | None = None
    name: str = ""

    def overlaps(self, other: Slot) -> bool:
        return self.weekday == other.weekday and self.start < other.end and other.start < self.end

    @property
    def label(self) -> str:
        text = f"{WEEKDAY_NAMES.get(self.weekday, self.weekday)} {self.start // 60:02d}:{self.start % 60:02d}"
        return f"{text}–{self.end // 60:02d}:{self.end % 60:02d}"


@dataclass(frozen=True)
class Venue:
    id: int
    capacity: int
    name: str = ""


@dataclass(frozen=True)
class Teacher:
    id: int
    name: str = ""
    unavailable: frozenset[int] = frozenset()  # slot ids


@dataclass(frozen=True)
class Section:
    id: int
    name: str = ""
    sessions_per_week: int = 1
    allowed_slots: tuple[int, ...] = ()
    preferred_slots: tuple[int, ...] = ()
    candidate_venues: tuple[int, ...] = ()
    teachers: tuple[int, ...] = ()
    classes: tuple[int, ...] = ()
    grade: int | None = None
    category: str = ""
    max_students: int = 0
    school: int | None = None


@dataclass
class Instance:
    slots: list[Slot]
    venues: list[Venue]
    teachers: list[Teacher]
    sections: list[Section]
    class_names: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.slot_by_id = {t.id: t for t in self.slots}
        self.venue_by_id = {v.id: v for v in self.venues}
        self.teacher_by_id = {p.id: p for p in self.teachers}

    # helpers shared by the model, the checker and greedy
    def usable_venues(self, section: Section) -> list[int]:
        return [
            v for v in dict.fromkeys(section.candidate_venues)
            if v in self.venue_by_id and self.venue_by_id[v].capacity >= section.max_students
        ]  # fmt: skip

    def usable_slots(self, section: Section) -> list[int]:
        """Allowed slots minus those one of the section's teachers is unavailable in."""
        blocked: set[int] = set()
        for tid in section.teachers:
            teacher = self.teacher_by_id.get(tid)
            if teacher is not None:
                blocked |= teacher.unavailable
        return [t for t in dict.fromkeys(section.allowed_slots) if t in self.slot_by_id and t not in blocked]

    def teacher_name(self, tid: int) -> str:
        teacher = self.teacher_by_id.get(tid)
        return teacher.name if teacher and teacher.name else f"#{tid}"

    def venue_name(self, vid: int) -> str:
        venue = self.venue_by_id.get(vid)
        return venue.name if venue and venue.name else f"#{vid}"

    def class_name(self, cid: int) -> str:
        return self.class_names.get(cid, f"#{cid}")


def section_label(section: Section) -> str:
    return f"课班“{section.name or section.id}”"


@dataclass(frozen=True)
class Placement:
    slots: tuple[int, ...]
    venue: int | None


Assignment = dict[int, Placement]


# --- time cliques -------------------------------------------------------------------------------------------
def time_cliques(slots: Iterable[Slot]) -> list[list[int]]:
    """Maximal sets of pairwise overlapping slots (an interval graph: one clique per start point that begins
    something new). "At most one per clique" == "no two overlapping"."""
    by_day: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        by_day[slot.weekday].append(slot)
    cliques: list[list[int]] = []
    for day_slots in by_day.values():
        previous: set[int] = set()
        for point in sorted({s.start for s in day_slots}):
            members = {s.id for s in day_slots if s.start <= point < s.end}
            if members and not members <= previous:
                cliques.append(sorted(members))
            previous = members
    # drop cliques contained in another one
    sets = [set(c) for c in cliques]
    return [c for i, c in enumerate(cliques) if not any(i != j and sets[i] < sets[j] for j in range(len(sets)))]


def max_disjoint(slots: Sequence[Slot]) -> int:
    """The largest number of pairwise non-overlapping slots among `slots` (interval scheduling per weekday)."""
    count = 0
    by_day: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        by_day[slot.weekday].append(slot)
    for day_slots in by_day.values():
        end = -1
        for slot in sorted(day_slots, key=lambda s: s.end):
            if slot.start >= end:
                count += 1
                end = slot.end
    return count


# --- checker ------------------------------------------------------------------------------------------------
@dataclass
class Soft:
    teacher_day: int = 0  # sessions of a teacher on a weekday beyond the first
    grade_category: int = 0  # same-grade same-category sessions at the same time beyond the first
    not_preferred: int = 0  # sessions outside the preferred slots

    @property
    def score(self) -> int:
        return (
            W_TEACHER_DAY * self.teacher_day
            + W_GRADE_CATEGORY * self.grade_category
            + W_NOT_PREFERRED * self.not_preferred
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "teacher_day": self.teacher_day,
            "grade_category": self.grade_category,
            "not_preferred": self.not_preferred,
            "score": self.score,
        }


@dataclass
class Report:
    violations: list[str]
    unplaced: list[int]
    soft: Soft

    @property
    def hard_violations(self) -> int:
        return len(self.violations)


def _pairwise_overlaps(uses: list[tuple[Slot, int]]) -> list[tuple[int, int, Slot, Slot]]:
    found = []
    uses = sorted(uses, key=lambda u: (u[0].weekday, u[0].start))
    for i, (a, sa) in enumerate(uses):
        for b, sb in uses[i + 1 :]:
            if b.weekday != a.weekday or b.start >= a.end:
                break
            if a.overlaps(b):
                found.append((sa, sb, a, b))
    return found


def check(instance: Instance, assignment: Assignment) -> Report:
    """Count hard-constraint violations of `assignment` and score its soft goals, without using the model.
    A section missing from the assignment (or with no slot) is "unplaced", not a violation."""
    violations: list[str] = []
    unplaced: list[int] = []
    soft = Soft()
    teacher_uses: dict[int, list[tuple[Slot, int]]] = defaultdict(list)
    venue_uses: dict[int, list[tuple[Slot, int]]] = defaultdict(list)
    class_uses: dict[int, list[tuple[Slot, int]]] = defaultdict(list)
    group_uses: dict[tuple[object, int, str], list[tuple[Slot, int]]] = defaultdict(list)
    teacher_days: dict[tuple[int, int], int] = defaultdict(int)
    for section in instance.sections:
        placement = assignment.get(section.id)
        if placement is None or not placement.slots:
            unplaced.append(section.id)
            continue
        name = section_label(section)
        slots = []
        for tid in placement.slots:
            slot = instance.slot_by_id.get(tid)
            if slot is None:
                violations.append(f"{name}：时段 #{tid} 不存在")
                continue
            slots.append(slot)
        if len(placement.slots) != section.sessions_per_week:
            violations.append(f"{name}：排了 {len(placement.slots)} 次，应为每周 {section.sessions_per_week} 次")
        if len(set(placement.slots)) != len(placement.slots):
            violations.append(f"{name}：同一时段排了两次")
        for _, _, sa, sb in _pairwise_overlaps([(s, section.id) for s in set(slots)]):
            violations.append(f"{name}：{sa.label} 与 {sb.label} 重叠")
        for slot in slots:
            if slot.id not in section.allowed_slots:
                violations.append(f"{name}：{slot.label} 不在可选时段内")
            for teacher_id in section.teachers:
                teacher = instance.teacher_by_id.get(teacher_id)
                if teacher is not None and slot.id in teacher.unavailable:
                    violations.append(f"{name}：教师{instance.teacher_name(teacher_id)}在{slot.label}没空")
                teacher_uses[teacher_id].append((slot, section.id))
                teacher_days[(teacher_id, slot.weekday)] += 1
            for class_id in section.classes:
                class_uses[class_id].append((slot, section.id))
            if section.grade is not None and section.category:
                group_uses[(section.school, section.grade, section.category)].append((slot, section.id))
            if placement.venue is not None:
                venue_uses[placement.venue].append((slot, section.id))
            if section.preferred_slots and slot.id not in section.preferred_slots:
                soft.not_preferred += 1
        if placement.venue is None:
            violations.append(f"{name}：没有场地")
        elif placement.venue not in section.candidate_venues:
            violations.append(f"{name}：场地{instance.venue_name(placement.venue)}不是候选场地")
        elif (venue := instance.venue_by_id.get(placement.venue)) is None or venue.capacity < section.max_students:
            violations.append(f"{name}：场地{instance.venue_name(placement.venue)}容量不足 {section.max_students} 人")
    names = {s.id: section_label(s) for s in instance.sections}
    for kind, uses_by, label in (
        ("教师", teacher_uses, instance.teacher_name),
        ("场地", venue_uses, instance.venue_name),
        ("班级", class_uses, instance.class_name),
    ):
        for key, uses in uses_by.items():
            for first, second, slot_a, _ in _pairwise_overlaps(uses):
                violations.append(f"{kind}{label(key)}在{slot_a.label}同时有{names[first]}和{names[second]}")
    for count in teacher_days.values():
        soft.teacher_day += max(0, count - 1)
    for uses in group_uses.values():
        for clique in time_cliques({slot for slot, _ in uses}):
            members = set(clique)
            soft.grade_category += max(0, sum(1 for slot, _ in uses if slot.id in members) - 1)
    return Report(violations=violations, unplaced=unplaced, soft=soft)


# --- pre-checks ---------------------------------------------------------------------------------------------
def precheck(instance: Instance) -> list[str]:
    """Cheap necessary conditions; each failure names its culprit in Chinese."""
    problems: list[str] = []
    slot_of = instance.slot_by_id
    for section in instance.sections:
        name = section_label(section)
        n = section.sessions_per_week
        allowed = [t for t in dict.fromkeys(section.allowed_slots) if t in slot_of]
        if n < 1:
            problems.append(f"{name}：每周次数须至少为 1")
            continue
        if not allowed:
            problems.append(f"{name}：没有可选时段")
            continue
        if max_disjoint([slot_of[t] for t in allowed]) < n:
            problems.append(
                f"{name}：每周 {n} 次，但可选时段中互不重叠的只有 {max_disjoint([slot_of[t] for t in allowed])} 个"
            )
        if not section.candidate_venues:
            problems.append(f"{name}：没有候选场地")
        elif not instance.usable_venues(section):
            problems.append(f"{name}：候选场地中没有容量不少于 {section.max_students} 人的")
        usable = instance.usable_slots(section)
        if max_disjoint([slot_of[t] for t in usable]) < n:
            busy = [
                instance.teacher_name(p) for p in section.teachers
                if instance.teacher_by_id.get(p) and set(allowed) & instance.teacher_by_id[p].unavailable
            ]  # fmt: skip
            who = "、".join(busy) or "教师"
            problems.append(f"{name}：教师{who}在可选时段中有空的只有 {len(usable)} 个，不够每周 {n} 次")
    # a teacher / class with more sessions than the distinct times its sections may use
    for kind, key_of, label in (
        ("教师", lambda s: s.teachers, instance.teacher_name),
        ("班级", lambda s: s.classes, instance.class_name),
    ):
        needs: dict[int, int] = defaultdict(int)
        times: dict[int, set[int]] = defaultdict(set)
        for section in instance.sections:
            for key in key_of(section):
                needs[key] += max(section.sessions_per_week, 0)
                times[key] |= set(instance.usable_slots(section))
        for key, need in needs.items():
            room = max_disjoint([slot_of[t] for t in times[key]])
            if need > room:
                problems.append(f"{kind}{label(key)}：共需每周 {need} 次课，但其课班可用的互不重叠时段只有 {room} 个")
    # sections that can only use one venue: more sessions than the times they may use
    only_venue: dict[int, list[Section]] = defaultdict(list)
    for section in instance.sections:
        venues = instance.usable_venues(section)
        if len(venues) == 1:
            only_venue[venues[0]].append(section)
    for vid, sections in only_venue.items():
        need = sum(s.sessions_per_week for s in sections)
        room = max_disjoint([slot_of[t] for s in sections for t in set(instance.usable_slots(s))])
        if need > room:
            problems.append(f"场地{instance.venue_name(vid)}：只能用它的课班共需每周 {need} 次，可用时段只有 {room} 个")
    return problems


# --- the model ----------------------------------------------------------------------------------------------
@dataclass
class Result:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    assignment: Assignment
    objective: int | None
    solve_seconds: float
    hard_violations: int
    unplaced: int
    soft: Soft
    conflicts: list[str]
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")


class _Model:
    def __init__(self, instance: Instance, *, soft: bool = True, assumptions: bool = False) -> None:
        self.instance = instance
        self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.y: dict[tuple[int, int], cp_model.IntVar] = {}
        self.w: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.groups: dict[str, cp_model.IntVar] = {}  # Chinese label -> assumption literal
        self.use_assumptions = assumptions
        self._build(soft)

    def _guard(self, label: str) -> list[cp_model.IntVar]:
        if not self.use_assumptions:
            return []
        if label not in self.groups:
            self.groups[label] = self.model.new_bool_var(label)
        return [self.groups[label]]

    def _build(self, with_soft: bool) -> None:
        inst, m = self.instance, self.model
        teacher_lits: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        class_lits: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        venue_lits: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        group_lits: dict[tuple[object, int, str], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        penalties: list[cp_model.LinearExprT] = []
        for s in inst.sections:
            slots = inst.usable_slots(s)
            venues = inst.usable_venues(s)
            guard = self._guard(f"{section_label(s)}的每周次数、可选时段与候选场地")
            for v in venues:
                self.y[s.id, v] = m.new_bool_var(f"y{s.id}_{v}")
            for t in slots:
                self.x[s.id, t] = m.new_bool_var(f"x{s.id}_{t}")
                ws = []
                for v in venues:
                    w = m.new_bool_var(f"w{s.id}_{t}_{v}")
                    self.w[s.id, t, v] = w
                    m.add_implication(w, self.y[s.id, v])
                    venue_lits[v].append((t, w))
                    ws.append(w)
                m.add(sum(ws) == self.x[s.id, t])
                for p in s.teachers:
                    teacher_lits[p].append((t, self.x[s.id, t]))
                for c in s.classes:
                    class_lits[c].append((t, self.x[s.id, t]))
                if s.grade is not None and s.category:
                    group_lits[(s.school, s.grade, s.category)].append((t, self.x[s.id, t]))
                if with_soft and s.preferred_slots and t not in s.preferred_slots:
                    penalties.append(W_NOT_PREFERRED * self.x[s.id, t])
            m.add(sum(self.y[s.id, v] for v in venues) == 1).only_enforce_if(guard)
            m.add(sum(self.x[s.id, t] for t in slots) == s.sessions_per_week).only_enforce_if(guard)
            for clique in time_cliques(inst.slot_by_id[t] for t in slots):
                if len(clique) > 1:
                    m.add(sum(self.x[s.id, t] for t in clique) <= 1)
        for kind, lits_by, label in (
            ("教师", teacher_lits, inst.teacher_name),
            ("场地", venue_lits, inst.venue_name),
            ("班级", class_lits, inst.class_name),
        ):
            for key, lits in lits_by.items():
                guard = self._guard(f"{kind}{label(key)}同一时间只能上一节课")
                self._at_most_one_per_time(lits, guard)
        if not with_soft:
            return
        # spread each teacher's sessions over the weekdays
        for p, lits in teacher_lits.items():
            by_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for t, lit in lits:
                by_day[inst.slot_by_id[t].weekday].append(lit)
            for day, day_lits in by_day.items():
                if len(day_lits) > 1:
                    excess = m.new_int_var(0, len(day_lits), f"td{p}_{day}")
                    m.add(excess >= sum(day_lits) - 1)
                    penalties.append(W_TEACHER_DAY * excess)
        # keep same grade + category apart
        for lits in group_lits.values():
            for clique in time_cliques({inst.slot_by_id[t] for t, _ in lits}):
                members = set(clique)
                in_clique = [lit for t, lit in lits if t in members]
                if len(in_clique) > 1:
                    excess = m.new_int_var(0, len(in_clique), "gc")
                    m.add(excess >= sum(in_clique) - 1)
                    penalties.append(W_GRADE_CATEGORY * excess)
        m.minimize(sum(penalties))

    def _at_most_one_per_time(self, lits: list[tuple[int, cp_model.IntVar]], guard: list[cp_model.IntVar]) -> None:
        slot_of = self.instance.slot_by_id
        by_slot: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for t, lit in lits:
            by_slot[t].append(lit)
        for clique in time_cliques(slot_of[t] for t in by_slot):
            members = [lit for t in clique for lit in by_slot[t]]
            if len(members) > 1:
                if guard:
                    self.model.add(sum(members) <= 1).only_enforce_if(guard)
                else:
                    self.model.add_at_most_one(members)

    def hint(self, assignment: Assignment) -> None:
        for (sid, t), var in self.x.items():
            placement = assignment.get(sid)
            self.model.add_hint(var, bool(placement and t in placement.slots))
        for (sid, v), var in self.y.items():
            placement = assignment.get(sid)
            self.model.add_hint(var, bool(placement and placement.venue == v))
        for (sid, t, v), var in self.w.items():
            placement = assignment.get(sid)
            self.model.add_hint(var, bool(placement and placement.venue == v and t in placement.slots))

    def read(self, solver: cp_model.CpSolver) -> Assignment:
        assignment: Assignment = {}
        for s in self.instance.sections:
            slots = tuple(t for t in self.instance.usable_slots(s) if solver.value(self.x[s.id, t]))
            venue = next((v for v in self.instance.usable_venues(s) if solver.value(self.y[s.id, v])), None)
            slots = tuple(
                sorted(slots, key=lambda t: (self.instance.slot_by_id[t].weekday, self.instance.slot_by_id[t].start))
            )
            assignment[s.id] = Placement(slots=slots, venue=venue)
        return assignment


def _status_name(code: Any) -> str:
    names: dict[Any, str] = {
        cp_model.OPTIMAL: "OPTIMAL",
        cp_model.FEASIBLE: "FEASIBLE",
        cp_model.INFEASIBLE: "INFEASIBLE",
        cp_model.MODEL_INVALID: "MODEL_INVALID",
    }
    return names.get(code, "UNKNOWN")


def explain(instance: Instance, *, time_limit_s: float = 10.0) -> list[str]:
    """Why no assignment exists: the pre-check findings if any, else the clashing constraint groups."""
    problems = precheck(instance)
    if problems:
        return problems
    core = _core(instance, time_limit_s=time_limit_s)
    if core is None:
        return []
    if not core:
        return ["约束相互冲突，无法确定具体原因（求解超时）"]
    return ["以下约束不能同时满足：" + "；".join(core)]


def _core(instance: Instance, *, time_limit_s: float) -> list[str] | None:
    """Labels of a (small) set of constraint groups that cannot hold together; None if it is feasible."""
    built = _Model(instance, soft=False, assumptions=True)
    labels = {lit.index: label for label, lit in built.groups.items()}

    def solve_with(active: list[str]) -> tuple[Any, list[str]]:
        built.model.clear_assumptions()
        built.model.add_assumptions([built.groups[label] for label in active])
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(time_limit_s / 4, 0.5)
        solver.parameters.num_workers = 1
        status = solver.solve(built.model)
        found = [labels[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in labels]
        return status, found

    status, core = solve_with(list(built.groups))
    if status != cp_model.INFEASIBLE:
        return None if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else []
    # shrink: drop each group in turn while the rest stays infeasible (bounded effort)
    deadline = _time.monotonic() + time_limit_s
    i = 0
    while i < len(core) and len(core) <= 30 and _time.monotonic() < deadline:
        trial = core[:i] + core[i + 1 :]
        status, smaller = solve_with(trial)
        if status == cp_model.INFEASIBLE:
            core = [label for label in trial if label in set(smaller)] or trial
        else:
            i += 1
    return sorted(core)


def solve(instance: Instance, *, time_limit_s: float = 20.0, workers: int = 2, hint_greedy: bool = True) -> Result:
    """Assign slots and venues; on failure, explain which constraints clash."""
    started = _time.perf_counter()
    problems = precheck(instance)
    if problems:
        return Result(
            status="INFEASIBLE", assignment={}, objective=None, solve_seconds=_time.perf_counter() - started,
            hard_violations=0, unplaced=len(instance.sections), soft=Soft(), conflicts=problems,
        )  # fmt: skip
    built = _Model(instance)
    if hint_greedy:
        built.hint(greedy(instance))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 1
    code = solver.solve(built.model)
    status = _status_name(code)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        assignment = built.read(solver)
        report = check(instance, assignment)
        return Result(
            status=status, assignment=assignment, objective=int(solver.objective_value),
            solve_seconds=_time.perf_counter() - started, hard_violations=report.hard_violations,
            unplaced=len(report.unplaced), soft=report.soft, conflicts=[], violations=report.violations,
        )  # fmt: skip
    conflicts: list[str]
    if code == cp_model.INFEASIBLE:
        conflicts = explain(instance, time_limit_s=min(time_limit_s, 10.0))
    else:
        conflicts = [f"在 {time_limit_s:g} 秒内没有找到方案（{status}），请放宽约束或稍后重试"]
    return Result(
        status=status, assignment={}, objective=None, solve_seconds=_time.perf_counter() - started,
        hard_violations=0, unplaced=len(instance.sections), soft=Soft(), conflicts=conflicts,
    )  # fmt: skip


# --- greedy baseline ----------------------------------------------------------------------------------------
def greedy(instance: Instance) -> Assignment:
    """Most-constrained section first; slots preferred, then on weekdays its teachers do not teach yet; the
    smallest free venue that fits. Sections that cannot be placed are left out (unplaced)."""
    slot_of = instance.slot_by_id
    busy_teacher: dict[int, list[Slot]] = defaultdict(list)
    busy_class: dict[int, list[Slot]] = defaultdict(list)
    busy_venue: dict[int, list[Slot]] = defaultdict(list)
    teacher_days: dict[int, set[int]] = defaultdict(set)
    group_slots: dict[tuple[object, int, str], list[Slot]] = defaultdict(list)

    def free(slot: Slot, busy: list[Slot]) -> bool:
        return not any(slot.overlaps(other) for other in busy)

    def options(s: Section) -> int:
        return len(instance.usable_slots(s)) * max(1, len(instance.usable_venues(s))) - s.sessions_per_week

    assignment: Assignment = {}
    for s in sorted(instance.sections, key=lambda s: (options(s), -s.sessions_per_week, s.id)):
        venues = sorted(instance.usable_venues(s), key=lambda v: (instance.venue_by_id[v].capacity, v))
        if not venues:
            continue
        candidates = [
            slot_of[t] for t in instance.usable_slots(s)
            if all(free(slot_of[t], busy_teacher[p]) for p in s.teachers)
            and all(free(slot_of[t], busy_class[c]) for c in s.classes)
        ]  # fmt: skip
        group = (s.school, s.grade or 0, s.category)

        def rank(slot: Slot, s: Section = s, group: tuple[object, int, str] = group) -> tuple[int, int, int, int]:
            day_used = sum(1 for p in s.teachers if slot.weekday in teacher_days[p])
            clash = sum(1 for other in group_slots[group] if other.overlaps(slot)) if s.category else 0
            return (day_used, clash, 0 if slot.id in s.preferred_slots else 1, slot.id)

        placed = False
        for v in venues:
            chosen: list[Slot] = []
            for slot in sorted((c for c in candidates if free(c, busy_venue[v])), key=rank):
                if len(chosen) == s.sessions_per_week:
                    break
                if all(not slot.overlaps(other) for other in chosen):
                    chosen.append(slot)
            if len(chosen) == s.sessions_per_week:
                for slot in chosen:
                    for p in s.teachers:
                        busy_teacher[p].append(slot)
                        teacher_days[p].add(slot.weekday)
                    for c in s.classes:
                        busy_class[c].append(slot)
                    busy_venue[v].append(slot)
                    if s.category:
                        group_slots[group].append(slot)
                assignment[s.id] = Placement(slots=tuple(c.id for c in chosen), venue=v)
                placed = True
                break
        if not placed:
            continue
    return assignment
