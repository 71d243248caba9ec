"""Pages of course evaluations (课程评价): a family scores its child's sections (one tap per aspect, on a phone); a
teacher reads the evaluations of the sections it teaches (anonymous); the school and the bureau read the statistics
(课程评价统计) and one section's evaluations — with names for the school only. Lists export to xlsx (audited)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from afterschool.core.errors import AppError
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import call_form, call_page, form_error_from, list_context
from afterschool.tenancy.actor import Actor

from ..forms.evaluations import EvaluationForm, ListFilterForm, StatsFilterForm, TeacherFilterForm
from ..models import Evaluation
from ..selectors import evaluations as selectors
from ..services import evaluations as services

EXPORT_LIMIT = 50000
SATISFACTION_HELP = (
    "满意度 = 四项评分中 4 星或 5 星所占的比例（每条评价有课程内容、授课教师、课程资源、课堂管理 4 个评分）；"
    "各项均分与综合均分为 1–5 星的平均，保留一位小数。"
)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _num(value: Decimal | None) -> str:
    return "—" if value is None else str(value)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def _stamp(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def stars(value: int) -> str:
    """ "★★★★☆" for 4."""
    return "★" * value + "☆" * (5 - value)


def scores(evaluation: Evaluation | None) -> list[dict[str, Any]]:
    """An evaluation's four scores as the pages show them."""
    if evaluation is None:
        return []
    return [
        {"label": label, "value": getattr(evaluation, aspect), "stars": stars(getattr(evaluation, aspect))}
        for aspect, label in selectors.ASPECT_LABELS.items()
    ]


def _wants_export(request: HttpRequest) -> bool:
    return request.GET.get("export") == "xlsx"


def _export(
    actor: Actor, *, what: str, title: str, headers: list[str], rows: Iterable[list[Any]], filters: dict[str, Any]
) -> HttpResponse:
    rows = list(rows)
    services.evaluation_export_record(actor=actor, what=what, rows=len(rows), filters=filters)
    return xlsx_response(filename=f"{title}.xlsx", content=build_xlsx(headers=headers, rows=rows, sheet_title=title))


# --- the family ---------------------------------------------------------------------------------------------------


@login_required
def evaluate(request: HttpRequest) -> HttpResponse:
    """课程评价: the child's sections with their state; with ?section= the form (four rows of five stars)."""
    actor = _actor(request)
    if not selectors.is_family_actor(actor):
        raise DjangoPermissionDenied("只有家长和学生本人可以评价课程")
    kids = selectors.children(actor=actor)
    wanted = request.GET.get("student")
    student = call_page(selectors.child_get, actor=actor, student_id=wanted) if wanted else (kids[0] if kids else None)
    context: dict[str, Any] = {
        "children": kids, "student": student, "after_lessons": services.EVALUATION_AFTER_LESSONS,
        "edit_days": services.EVALUATION_EDIT_DAYS,
    }  # fmt: skip
    section_id = request.GET.get("section")
    if student is None:
        return render(request, "feedback/evaluations/evaluate.html", context)
    if not section_id:
        context["items"] = [
            {"item": item, "scores": scores(item.evaluation)} for item in selectors.evaluables(student=student)
        ]
        return render(request, "feedback/evaluations/evaluate.html", context)

    item = call_page(selectors.evaluable_get, student=student, section_id=section_id)
    given = item.evaluation
    initial = ({a: getattr(given, a) for a in selectors.ASPECTS} | {"comment": given.comment}) if given else None
    form = EvaluationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        submitted = call_form(
            form, services.evaluation_submit, actor=actor, student=student, section=item.section,
            scores=form.scores(), comment=form.cleaned_data["comment"],
        )  # fmt: skip
        if submitted is not None:
            done = "评价已提交，谢谢您的反馈！" if submitted[1] else "评价已修改。"
            messages.success(request, done)
            return redirect(f"{reverse('feedback:evaluate')}?student={student.pk}")
    context.update({"item": item, "form": form, "rows": form.rows()})
    return render(request, "feedback/evaluations/form.html", context)


# --- the teacher --------------------------------------------------------------------------------------------------


@login_required
def my_evaluations(request: HttpRequest) -> HttpResponse:
    """课程评价 (teacher): its sections' figures and the comments, without the students' or parents' names."""
    actor = _actor(request)
    if not selectors.is_teaching_actor(actor):
        raise DjangoPermissionDenied("只有教师可以查看所教课班的评价")
    form = TeacherFilterForm(request.GET or None, terms=selectors.term_choices(actor=actor))
    filters = form.filters()
    rows: list[selectors.StatsRow] = []
    comments = Evaluation.objects.none()
    try:
        rows = selectors.teacher_section_rows(actor=actor, filters=filters)
        comments = selectors.teacher_comments(actor=actor, filters=filters)
    except AppError as exc:
        form_error_from(form, exc)
    context: dict[str, Any] = {
        "form": form, "filters": filters, "rows": rows, "aspects": selectors.ASPECT_LABELS,
        "sections": selectors.teacher_section_choices(actor=actor),
        "satisfaction_help": SATISFACTION_HELP,
    }  # fmt: skip
    context.update(list_context(request, comments))
    context["comments"] = [{"e": e, "scores": scores(e)} for e in context["page"].items]
    return render(request, "feedback/evaluations/mine.html", context)


# --- the school and the bureau ------------------------------------------------------------------------------------


def _reader(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not selectors.may_read_stats(actor):
        raise DjangoPermissionDenied("只有学校管理员和教育局可以查看评价统计")
    return actor


def _stats_cells(row: selectors.StatsRow) -> list[Any]:
    return [row.count, *(_num(row.average(a)) for a in selectors.ASPECTS), _num(row.overall), _pct(row.satisfaction)]


STATS_HEADERS = ["评价数", *selectors.ASPECT_LABELS.values(), "综合均分", "满意度"]
PLACED_HEADERS = ["在读人数", "参评率"]
DETAIL_HEADERS = {"section": "课程 · 教师 · 学期", "course": "类别 · 开设方", "teacher": "所属"}


@login_required
def evaluation_stats(request: HttpRequest) -> HttpResponse:
    """评价统计: per 课班 / 课程 / 教师 / 机构 / 学校 the averages and satisfaction; exports to xlsx."""
    actor = _reader(request)
    groups = selectors.groups_for(actor)
    form = StatsFilterForm(request.GET or None, terms=selectors.term_choices(actor=actor))
    filters = form.filters()
    group_by = filters.pop("group_by", None) or "section"
    if group_by not in groups:
        group_by = "section"
    try:
        rows = selectors.evaluation_stats(actor=actor, filters=filters, group_by=group_by)
    except AppError as exc:
        form_error_from(form, exc)
        rows = []
    label = groups[group_by]
    detail = DETAIL_HEADERS.get(group_by)
    with_school = selectors.sees_schools(actor) and group_by in ("section", "course")
    with_placed = group_by == "section"
    headers = STATS_HEADERS + (PLACED_HEADERS if with_placed else [])

    def cells(row: selectors.StatsRow) -> list[Any]:
        placed = [row.placed, _pct(row.response_rate)] if with_placed else []
        return _stats_cells(row) + placed

    if _wants_export(request):
        head = [label] + ([detail] if detail else []) + (["学校"] if with_school else []) + headers
        out = (
            [r.label] + ([r.detail] if detail else []) + ([r.school_name] if with_school else []) + cells(r)
            for r in rows[:EXPORT_LIMIT]
        )
        return _export(
            actor, what="evaluation_stats", title=f"课程评价统计-按{label}", headers=head, rows=out,
            filters={**filters, "group_by": group_by},
        )  # fmt: skip
    query = request.GET.copy()
    query.pop("page", None)
    links = []
    for code, name in groups.items():
        query["group_by"] = code
        links.append({"code": code, "label": name, "query": query.urlencode()})
    context: dict[str, Any] = {
        "form": form, "filters": filters, "group_by": group_by, "group_label": label, "detail_header": detail,
        "with_school": with_school, "headers": headers, "group_links": links,
        "sees_schools": selectors.sees_schools(actor), "schools": selectors.school_choices(actor=actor),
        "satisfaction_help": SATISFACTION_HELP,
    }  # fmt: skip
    context.update(list_context(request, rows))
    context["rows"] = [{"row": r, "cells": list(zip(headers, cells(r), strict=True))} for r in context["page"].items]
    return render(request, "feedback/evaluations/stats.html", context)


LIST_HEADERS = ["提交时间", *selectors.ASPECT_LABELS.values(), "评语"]


@login_required
def evaluation_list(request: HttpRequest, section_id: int) -> HttpResponse:
    """One section's evaluations: the school sees the student and the parent; the bureau the scores and comments
    without names. Filters and an xlsx export (audited)."""
    actor = _reader(request)
    section = call_page(selectors.stats_section_get, actor=actor, section_id=section_id)
    form = ListFilterForm(request.GET or None, terms=None)
    filters = form.filters()
    filters.pop("term", None)
    named = selectors.shows_names(actor)
    try:
        evaluations = selectors.evaluation_list(actor=actor, filters={**filters, "section": section.pk})
        summary = selectors.aggregate(evaluations, "section").get(section.pk)
    except AppError as exc:
        form_error_from(form, exc)
        evaluations, summary = Evaluation.objects.none(), None
    if summary is not None:
        selectors.label_rows({section.pk: summary}, "section")
    names = ["学生", "评价人"] if named else []

    def cells(e: Evaluation) -> list[Any]:
        who = [e.student.name, str(e.author)] if named else []
        return [_stamp(e.created_at), *who, *(getattr(e, a) for a in selectors.ASPECTS), e.comment]

    headers = LIST_HEADERS[:1] + names + LIST_HEADERS[1:]
    if _wants_export(request):
        return _export(
            actor, what="evaluations", title=f"课程评价-{section.name}", headers=headers,
            rows=(cells(e) for e in evaluations[:EXPORT_LIMIT]), filters={**filters, "section": section.pk},
        )  # fmt: skip
    context: dict[str, Any] = {
        "section": section, "form": form, "filters": filters, "named": named, "summary": summary,
        "aspects": selectors.ASPECT_LABELS, "satisfaction_help": SATISFACTION_HELP,
    }  # fmt: skip
    context.update(list_context(request, evaluations))
    context["evaluations"] = [{"e": e, "scores": scores(e)} for e in context["page"].items]
    return render(request, "feedback/evaluations/list.html", context)


urlpatterns: list[URLPattern] = [
    path("evaluate/", evaluate, name="evaluate"),
    path("evaluations/mine/", my_evaluations, name="my_evaluations"),
    path("evaluations/stats/", evaluation_stats, name="evaluation_stats"),
    path("evaluations/sections/<int:section_id>/", evaluation_list, name="evaluation_list"),
]
