"""Pages: automatic scheduling (排课方案) — runs of the school, a new run for a term, the proposal with apply /
discard (confirmation pages, POST), and the per-section scheduling inputs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import form_error_from, list_context
from afterschool.tenancy.actor import Actor

from ..choices import SchedulingRunStatus
from ..forms.autoschedule import RunForm, ScheduleInputsForm
from ..models import SchedulingRun
from ..selectors import autoschedule as selectors
from ..services import autoschedule as services

READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
WRITERS = (Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN)
SOFT_LABELS = {
    "teacher_day": "同一教师同一天多于一次课（次）",
    "grade_category": "同年级同类别课班同时段（次）",
    "not_preferred": "未排在优先时段（次）",
    "score": "软目标罚分合计（越小越好）",
}


def _actor(request: HttpRequest, *, write: bool = False) -> Actor:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_system_admin and not actor.has_role(*(WRITERS if write else READERS)):
        raise DjangoPermissionDenied("当前角色不能" + ("自动排课" if write else "查看排课方案"))
    return actor


def _can_write(actor: Actor) -> bool:
    return actor.is_system_admin or actor.has_role(*WRITERS)


def _run(actor: Actor, run_id: int) -> SchedulingRun:
    try:
        return selectors.run_get(actor=actor, run_id=run_id)
    except NotFound:
        raise Http404 from None


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    status = request.GET.get("status", "")
    values = {"q": request.GET.get("q", ""), "status": status if status in SchedulingRunStatus.values else ""}
    queryset = selectors.run_list(actor=actor, filters=values)
    if request.GET.get("export") == "xlsx":
        rows = (
            [r.pk, r.school.name, str(r.term), r.get_status_display(), r.solver_status, r.solve_seconds,
             r.objective, r.hard_violations, r.created_at.strftime("%Y-%m-%d %H:%M")]
            for r in queryset.iterator()
        )  # fmt: skip
        headers = ["编号", "学校", "学期", "状态", "求解结果", "耗时（秒）", "软目标罚分", "硬约束冲突", "生成时间"]
        content = build_xlsx(headers=headers, rows=rows, sheet_title="排课方案")
        record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"what": "scheduling_run", **values})
        return xlsx_response(filename="排课方案.xlsx", content=content)
    context: dict[str, Any] = list_context(request, queryset)
    context.update({"values": values, "statuses": SchedulingRunStatus.choices, "can_write": _can_write(actor)})
    template = "scheduling/autoschedule/_runs.html" if request.htmx else "scheduling/autoschedule/run_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def run_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, write=True)
    form = RunForm(request.POST or request.GET or None, actor=actor)
    sections = None
    if form.is_bound and form.is_valid():
        term = form.cleaned_data["term"]
        if request.method == "POST":
            try:
                run = services.run_create(actor=actor, term=term)
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from None
            except AppError as exc:
                form_error_from(form, exc)
            else:
                if run.status == SchedulingRunStatus.PROPOSED:
                    messages.success(request, f"已生成排课方案（{run.solve_seconds:.1f} 秒），请检查后应用。")
                else:
                    messages.error(request, "没有可行的排课方案，请查看冲突说明。")
                return redirect("scheduling:run_detail", run.pk)
        sections = list(selectors.schedulable_sections(actor=actor, term=term))
    return render(request, "scheduling/autoschedule/run_form.html", {"form": form, "sections": sections})


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = _actor(request)
    run = _run(actor, run_id)
    proposal = run.proposal if isinstance(run.proposal, dict) else {}
    soft = [(SOFT_LABELS.get(k, k), v) for k, v in (proposal.get("soft") or {}).items()]
    context = {
        "run": run, "rows": proposal.get("sections", []), "soft": soft, "warnings": proposal.get("warnings", []),
        "weights": proposal.get("weights", {}), "can_write": _can_write(actor),
        "open": run.status == SchedulingRunStatus.PROPOSED,
    }  # fmt: skip
    return render(request, "scheduling/autoschedule/run_detail.html", context)


def _confirm(request: HttpRequest, run_id: int, *, action: str) -> HttpResponse:
    actor = _actor(request, write=True)
    run = _run(actor, run_id)
    error = None
    if request.method == "POST":
        service = services.run_apply if action == "apply" else services.run_discard
        try:
            service(actor=actor, run=run)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except NotFound:
            raise Http404 from None
        except AppError as exc:
            error = exc.message
        else:
            messages.success(request, "排课方案已应用。" if action == "apply" else "排课方案已放弃。")
            return redirect("scheduling:run_detail", run.pk)
    context = {"run": run, "action": action, "error": error, "verb": "应用" if action == "apply" else "放弃"}
    return render(request, "scheduling/autoschedule/run_confirm.html", context, status=409 if error else 200)


@login_required
def run_apply(request: HttpRequest, run_id: int) -> HttpResponse:
    return _confirm(request, run_id, action="apply")


@login_required
def run_discard(request: HttpRequest, run_id: int) -> HttpResponse:
    return _confirm(request, run_id, action="discard")


@login_required
def section_inputs(request: HttpRequest, section_id: int) -> HttpResponse:
    actor = _actor(request, write=True)
    try:
        section = selectors.schedulable_section_get(actor=actor, section_id=section_id)
    except NotFound:
        raise Http404 from None
    form = ScheduleInputsForm(request.POST or None, section=section)
    if request.method == "POST" and form.is_valid():
        try:
            services.section_schedule_inputs_update(actor=actor, section=section, data=dict(form.cleaned_data))
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, f"课班“{section.name}”的排课条件已保存。")
            return redirect(f"{reverse('scheduling:run_create')}?term={section.term_id}")
    return render(request, "scheduling/autoschedule/section_inputs.html", {"form": form, "section": section})


urlpatterns: list[URLPattern] = [
    path("runs/", run_list, name="run_list"),
    path("runs/new/", run_create, name="run_create"),
    path("runs/<int:run_id>/", run_detail, name="run_detail"),
    path("runs/<int:run_id>/apply/", run_apply, name="run_apply"),
    path("runs/<int:run_id>/discard/", run_discard, name="run_discard"),
    path("runs/sections/<int:section_id>/inputs/", section_inputs, name="section_schedule_inputs"),
]
