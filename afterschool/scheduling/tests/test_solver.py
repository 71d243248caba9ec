"""The pure scheduling solver: each hard constraint holds, infeasible instances are explained naming the culprit,
the independent checker catches planted violations, greedy vs CP-SAT."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from afterschool.scheduling.solver import (
    Instance,
    Placement,
    Section,
    Slot,
    Teacher,
    Venue,
    check,
    explain,
    greedy,
    precheck,
    solve,
    time_cliques,
)  # fmt: skip

MON1 = Slot(1, 1, 15 * 60 + 40, 16 * 60 + 40)
MON2 = Slot(2, 1, 16 * 60 + 50, 17 * 60 + 50)
TUE1 = Slot(3, 2, 15 * 60 + 40, 16 * 60 + 40)
TUE2 = Slot(4, 2, 16 * 60 + 50, 17 * 60 + 50)
SLOTS = [MON1, MON2, TUE1, TUE2]
ROOM = Venue(10, 30, "教室一")
BIG = Venue(11, 60, "体育馆")


def sec(sid: int, **kw: object) -> Section:
    base: dict[str, object] = {"name": f"课班{sid}", "allowed_slots": (1, 2, 3, 4), "candidate_venues": (10, 11),
                               "teachers": (sid + 100,), "max_students": 20}  # fmt: skip
    base.update(kw)
    return Section(id=sid, **base)  # type: ignore[arg-type]


def inst(*sections: Section, teachers: list[Teacher] | None = None, venues: list[Venue] | None = None) -> Instance:
    ids = {p for s in sections for p in s.teachers}
    given = {t.id: t for t in teachers or []}
    return Instance(
        slots=list(SLOTS), venues=venues or [ROOM, BIG],
        teachers=[given.get(p, Teacher(p, f"老师{p}")) for p in sorted(ids)], sections=list(sections),
        class_names={7: "一年级1班"},
    )  # fmt: skip


def test_given_shared_teacher_when_solved_then_his_sections_never_meet_at_once() -> None:
    instance = inst(sec(1, teachers=(100,), allowed_slots=(1, 3)), sec(2, teachers=(100,), allowed_slots=(1, 3)))
    result = solve(instance, time_limit_s=5, workers=1)
    assert result.status == "OPTIMAL" and result.hard_violations == 0
    assert {result.assignment[1].slots, result.assignment[2].slots} == {(1,), (3,)}


def test_given_one_venue_when_solved_then_two_sections_take_different_slots() -> None:
    instance = inst(sec(1, candidate_venues=(10,)), sec(2, candidate_venues=(10,)), venues=[ROOM])
    result = solve(instance, time_limit_s=5, workers=1)
    assert result.feasible and result.assignment[1].slots != result.assignment[2].slots


def test_given_same_class_when_solved_then_class_sections_are_apart() -> None:
    instance = inst(sec(1, classes=(7,), allowed_slots=(1, 2)), sec(2, classes=(7,), allowed_slots=(1, 2)))
    result = solve(instance, time_limit_s=5, workers=1)
    assert result.feasible and result.assignment[1].slots != result.assignment[2].slots


def test_given_small_venue_when_solved_then_only_big_enough_one_used() -> None:
    result = solve(inst(sec(1, max_students=45)), time_limit_s=5, workers=1)
    assert result.assignment[1].venue == 11


def test_given_unavailable_teacher_slots_when_solved_then_avoided() -> None:
    instance = inst(sec(1), teachers=[Teacher(101, "王老师", frozenset({1, 2, 3}))])
    assert solve(instance, time_limit_s=5, workers=1).assignment[1].slots == (4,)


def test_given_two_sessions_when_solved_then_on_different_weekdays_and_preferred_honoured() -> None:
    instance = inst(sec(1, sessions_per_week=2, preferred_slots=(2, 4)))
    result = solve(instance, time_limit_s=5, workers=1)
    assert result.assignment[1].slots == (2, 4)
    assert result.soft.score == 0


def test_given_overlapping_slots_of_two_schools_when_shared_teacher_then_not_both() -> None:
    other = Slot(20, 1, 16 * 60, 17 * 60, school=2)  # overlaps MON1 and MON2
    instance = Instance(
        slots=[MON1, other], venues=[ROOM, BIG], teachers=[Teacher(100, "共享老师")],
        sections=[sec(1, teachers=(100,), allowed_slots=(1,)),
                  sec(2, teachers=(100,), allowed_slots=(20,), candidate_venues=(11,))],
    )  # fmt: skip
    result = solve(instance, time_limit_s=5, workers=1)
    assert result.status == "INFEASIBLE"
    assert any("共享老师" in c for c in result.conflicts)


def test_time_cliques_of_overlapping_slots() -> None:
    a, b, c = Slot(1, 1, 600, 660), Slot(2, 1, 630, 700), Slot(3, 1, 690, 720)
    assert sorted(map(sorted, time_cliques([a, b, c]))) == [[1, 2], [2, 3]]


@pytest.mark.parametrize(
    ("section", "culprit"),
    [
        (sec(1, allowed_slots=()), "没有可选时段"),
        (sec(1, candidate_venues=()), "没有候选场地"),
        (sec(1, max_students=99), "没有容量不少于 99 人"),
        (sec(1, sessions_per_week=3, allowed_slots=(1, 2)), "互不重叠的只有 2 个"),
    ],
)
def test_given_hopeless_section_when_prechecked_then_culprit_named(section: Section, culprit: str) -> None:
    problems = precheck(inst(section))
    assert problems and "课班1" in problems[0] and culprit in problems[0]
    assert solve(inst(section), time_limit_s=5).status == "INFEASIBLE"


def test_given_teacher_with_too_many_sessions_when_prechecked_then_teacher_named() -> None:
    sections = [sec(i, teachers=(100,), allowed_slots=(1, 2)) for i in (1, 2, 3)]
    problems = precheck(inst(*sections, teachers=[Teacher(100, "李老师")]))
    assert any("教师李老师" in p and "3 次" in p for p in problems)


def test_given_teacher_busy_everywhere_when_prechecked_then_teacher_named() -> None:
    problems = precheck(inst(sec(1, allowed_slots=(1,)), teachers=[Teacher(101, "赵老师", frozenset({1}))]))
    assert problems and "赵老师" in problems[0]


def test_given_clash_invisible_to_prechecks_when_explained_then_core_names_groups() -> None:
    # Three sections pairwise sharing a teacher, two slots each allowed: every pre-check passes, but no
    # assignment exists (a triangle cannot be 2-coloured).
    sections = [
        sec(1, teachers=(100, 101), allowed_slots=(1, 3)),
        sec(2, teachers=(101, 102), allowed_slots=(1, 3)),
        sec(3, teachers=(102, 100), allowed_slots=(1, 3)),
    ]
    instance = inst(*sections, teachers=[Teacher(100, "甲"), Teacher(101, "乙"), Teacher(102, "丙")])
    assert precheck(instance) == []
    result = solve(instance, time_limit_s=5, workers=1)
    assert result.status == "INFEASIBLE"
    text = "".join(explain(instance))
    assert "不能同时满足" in text and all(f"教师{n}" in text for n in "甲乙丙")
    assert result.conflicts == explain(instance)


def test_checker_catches_planted_violations() -> None:
    instance = inst(
        sec(1, teachers=(100,), classes=(7,), allowed_slots=(1, 2), preferred_slots=(2,)),
        sec(2, teachers=(100,), classes=(7,), allowed_slots=(1, 2), max_students=45),
        teachers=[Teacher(100, "钱老师", frozenset({1}))],
    )
    good = {1: Placement((2,), 10), 2: Placement((1,), 11)}
    report = check(instance, good)
    assert report.hard_violations == 1 and "钱老师在" in report.violations[0]  # slot 1 is unavailable
    bad = {1: Placement((1,), 10), 2: Placement((1,), 10)}
    text = "\n".join(check(instance, bad).violations)
    for expected in ("教师钱老师在周一", "场地教室一在周一", "班级一年级1班", "容量不足", "没空"):
        assert expected in text
    assert "不在可选时段" in "".join(check(instance, {1: Placement((3,), 10)}).violations)
    assert "不是候选场地" in "".join(check(instance, {1: Placement((2,), 99)}).violations)
    assert check(instance, {1: Placement((2,), 10)}).unplaced == [2]
    assert check(instance, {1: Placement((1,), 10)}).soft.not_preferred == 1


def test_checker_scores_soft_goals() -> None:
    instance = inst(sec(1, teachers=(100,), grade=1, category="sports", school=1),
                    sec(2, teachers=(100,), grade=1, category="sports", school=1))  # fmt: skip
    report = check(instance, {1: Placement((1,), 10), 2: Placement((2,), 11)})
    assert report.soft.teacher_day == 1 and report.soft.grade_category == 0
    report = check(instance, {1: Placement((1,), 10), 2: Placement((3,), 11)})
    assert report.soft.score == 0


def test_greedy_vs_cpsat_on_generated_instance() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
    from schedule_instances import one_school

    instance = one_school(seed=3)
    baseline = check(instance, greedy(instance))
    assert baseline.hard_violations == 0
    result = solve(instance, time_limit_s=10, workers=2)
    assert result.feasible and result.hard_violations == 0 and result.unplaced == 0
    assert result.soft.score <= baseline.soft.score


def test_greedy_leaves_unplaceable_section_out() -> None:
    one = {"candidate_venues": (10,), "allowed_slots": (1,)}
    instance = inst(sec(1, **one), sec(2, **one), venues=[ROOM])
    report = check(instance, greedy(instance))
    assert report.hard_violations == 0 and len(report.unplaced) == 1
