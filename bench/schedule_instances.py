"""Seeded generator of automatic-scheduling instances (pure Python, no database).

A "planted" schedule is built first (every section gets slots and a venue that break no hard constraint), then
each section's allowed slots are its planted slots plus random others, its candidate venues the planted one
plus random others (some too small, which the solver must skip), so every generated instance is feasible but
the planted answer is hidden among many choices.

    one_school(seed)  ~120 sections, 50 teachers, 30 venues, 10 weekly slots (Mon–Fri × 15:40 and 16:50)
    district(seed)    ~2,000 sections over 40 schools (their own slot grids, some shifted by 10–20 minutes),
                      school teachers plus organization teachers shared by 2–4 schools of the district
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from afterschool.scheduling.solver import Instance, Section, Slot, Teacher, Venue

CATEGORIES = ["sports", "arts", "science", "reading", "club", "labour", "tutoring", "psychology"]
POPULAR = ["sports", "arts", "science"]
CAPACITIES = [20, 25, 30, 40, 40, 50, 60]


class _School:
    def __init__(self, index: int, rng: random.Random, *, venues: int, classes_per_grade: int, shift: int) -> None:
        self.index = index
        base = index * 100
        self.slots = [
            Slot(id=base + day * 2 + k - 2, weekday=day, start=start + shift, end=start + shift + 60, school=index,
                 name=f"校{index}第{k + 1}时段")
            for day in range(1, 6) for k, start in enumerate((15 * 60 + 40, 16 * 60 + 50))
        ]  # fmt: skip
        self.venues = [
            Venue(id=index * 1000 + i, capacity=rng.choice(CAPACITIES), name=f"校{index}场地{i}") for i in range(venues)
        ]
        self.classes = {
            grade: [index * 1000 + grade * 10 + c for c in range(classes_per_grade)] for grade in range(1, 7)
        }


def _build(
    *, seed: int, schools: int, sections_per_school: int, teachers_per_school: int, venues_per_school: int,
    org_teachers: int, classes_per_grade: int,
) -> Instance:  # fmt: skip
    rng = random.Random(seed)
    grids = [
        _School(i, rng, venues=venues_per_school, classes_per_grade=classes_per_grade,
                shift=0 if schools == 1 or i % 4 else rng.choice((-10, 10, 20)))
        for i in range(schools)
    ]  # fmt: skip
    slot_of = {t.id: t for g in grids for t in g.slots}
    # teachers: school teachers of one school; organization teachers work at 2–4 schools
    teacher_schools: dict[int, list[int]] = {}
    next_teacher = 1
    for g in grids:
        for _ in range(teachers_per_school):
            teacher_schools[next_teacher] = [g.index]
            next_teacher += 1
    for _ in range(org_teachers):
        teacher_schools[next_teacher] = rng.sample(range(schools), k=min(schools, rng.randint(2, 4)))
        next_teacher += 1
    # planted occupation
    busy_teacher: dict[int, list[Slot]] = defaultdict(list)
    busy_class: dict[int, set[int]] = defaultdict(set)
    busy_venue: dict[int, set[int]] = defaultdict(set)
    load: dict[int, int] = defaultdict(int)
    sections: list[Section] = []
    unavailable: dict[int, set[int]] = defaultdict(set)
    next_section = 1
    for g in grids:
        local = [p for p, where in teacher_schools.items() if g.index in where]
        made = 0
        attempts = 0
        while made < sections_per_school and attempts < sections_per_school * 20:
            attempts += 1
            # teachers carry 2–4 sections: prefer those with the lightest load
            teacher = min(rng.sample(local, k=min(len(local), 4)), key=lambda p: load[p])
            if load[teacher] >= 4:
                continue
            grade = rng.randint(1, 6)
            is_class = rng.random() < 0.3
            classes = (rng.choice(g.classes[grade]),) if is_class else ()
            sessions = 2 if rng.random() < 0.15 else 1
            max_students = 45 if is_class else rng.choice((20, 25, 30, 30, 40))
            free_slots = [
                t for t in g.slots
                if not any(t.overlaps(o) for o in busy_teacher[teacher])
                and not (classes and t.id in busy_class[classes[0]])
            ]  # fmt: skip
            rng.shuffle(free_slots)
            chosen: list[Slot] = []
            for t in free_slots:
                if len(chosen) < sessions and all(t.weekday != c.weekday for c in chosen):
                    chosen.append(t)
            if len(chosen) < sessions:
                continue
            fitting = [
                v for v in g.venues
                if v.capacity >= max_students and not any(t.id in busy_venue[v.id] for t in chosen)
            ]  # fmt: skip
            if not fitting:
                continue
            venue = rng.choice(fitting)
            for t in chosen:
                busy_teacher[teacher].append(t)
                busy_venue[venue.id].add(t.id)
                if classes:
                    busy_class[classes[0]].add(t.id)
            load[teacher] += 1
            # allowed: planted + others (4–10 in all); preferred: sometimes one of the allowed
            extra = [t.id for t in g.slots if t not in chosen]
            rng.shuffle(extra)
            allowed = [t.id for t in chosen] + extra[: max(0, rng.randint(4, 10) - len(chosen))]
            preferred = tuple(rng.sample(allowed, k=rng.randint(1, 2))) if rng.random() < 0.4 else ()
            others = [v.id for v in g.venues if v.id != venue.id]
            candidates = [venue.id, *rng.sample(others, k=min(len(others), rng.randint(2, 5)))]
            category = rng.choice(POPULAR) if rng.random() < 0.5 else rng.choice(CATEGORIES)
            sections.append(
                Section(
                    id=next_section, name=f"校{g.index}课班{next_section}", sessions_per_week=sessions,
                    allowed_slots=tuple(sorted(allowed)), preferred_slots=preferred,
                    candidate_venues=tuple(candidates), teachers=(teacher,), classes=classes, grade=grade,
                    category=category, max_students=max_students, school=g.index,
                )
            )  # fmt: skip
            next_section += 1
            made += 1
    # some teachers are busy elsewhere in a few slots they are not planted in
    for p, where in teacher_schools.items():
        if rng.random() < 0.3:
            own = [t for i in where for t in grids[i].slots if not any(t.overlaps(o) for o in busy_teacher[p])]
            for t in rng.sample(own, k=min(len(own), rng.randint(1, 2))):
                unavailable[p].add(t.id)
    teachers = [Teacher(id=p, name=f"教师{p}", unavailable=frozenset(unavailable[p])) for p in teacher_schools]
    used = {p for s in sections for p in s.teachers}
    return Instance(
        slots=list(slot_of.values()),
        venues=[v for g in grids for v in g.venues],
        teachers=[t for t in teachers if t.id in used],
        sections=sections,
        class_names={
            c: f"校{g.index}{c // 10 % 10}年级{c % 10 + 1}班" for g in grids for cs in g.classes.values() for c in cs
        },
    )


def one_school(seed: int = 1) -> Instance:
    return _build(
        seed=seed, schools=1, sections_per_school=120, teachers_per_school=50, venues_per_school=30,
        org_teachers=0, classes_per_grade=4,
    )  # fmt: skip


def district(seed: int = 2) -> Instance:
    return _build(
        seed=seed, schools=40, sections_per_school=50, teachers_per_school=18, venues_per_school=12,
        org_teachers=60, classes_per_grade=3,
    )  # fmt: skip
