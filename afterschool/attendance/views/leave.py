"""Pages of leave (请假): a family asks leave for a child and follows its requests; teachers and the school review
them (one tap to approve, a reason to reject, htmx); a teacher asks leave for a lesson; the school decides (substitute,
cancel or reject)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import BaseForm, Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.views import call_form, call_page, list_context, page_error
from afterschool.tenancy.actor import Actor

from ..choices import LeaveStatus
from ..forms.leave import (
    ApproveForm,
    LeaveFilterForm,
    LeaveRequestForm,
    RejectForm,
    TeacherLeaveDecideForm,
    TeacherLeaveFilterForm,
    TeacherLeaveForm,
)
from ..models import LeaveRequest, TeacherLeave
from ..selectors import leave as selectors
from ..selectors.common import TEACHING_ROLES
from ..services import leave as services

FAMILY = (Role.PARENT, Role.STUDENT)
REVIEWERS = (Role.SCHOOL_ADMIN, Role.TEACHER, Role.ORG_TEACHER, Role.BUREAU_ADMIN)
SCHOOL_READERS = (Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _first_error(form: BaseForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "提交的数据有误"


def _stamp(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _export(actor: Actor, *, what: str, filters: dict[str, Any], filename: str, headers: list[str], rows: Any) -> Any:
    rows = list(rows)
    record_write(
        actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
        detail={"what": what, "rows": len(rows), "filters": {k: str(v) for k, v in filters.items() if v}},
    )  # fmt: skip
    return xlsx_response(filename=filename, content=build_xlsx(headers=headers, rows=rows, sheet_title=what))


# --- a family's request ----------------------------------------------------------------------------------------


@login_required
def leave_new(request: HttpRequest) -> HttpResponse:
    """A parent (or a student) picks a child, ticks its upcoming lessons, gives a reason."""
    actor = _actor(request)
    if not actor.has_role(*FAMILY):
        raise DjangoPermissionDenied("只有家长或学生本人可以请假")
    kids = selectors.children(actor=actor)
    wanted = request.GET.get("student")
    student = call_page(selectors.child_get, actor=actor, student_id=wanted) if wanted else (kids[0] if kids else None)
    form = LeaveRequestForm(request.POST or None)
    if request.method == "POST" and student is not None and form.is_valid():
        lessons = call_form(form, selectors.leave_lessons, student=student, lesson_ids=form.cleaned_data["lessons"])
        created = lessons and call_form(
            form, services.leave_request, actor=actor, student=student, lessons=lessons,
            reason=form.cleaned_data["reason"],
        )  # fmt: skip
        if created:
            count = f" {len(created)} 份" if len(created) > 1 else ""
            messages.success(request, f"已提交{count}请假申请，等待老师审批。审批结果会通知您。")
            return redirect("attendance:my_leaves")
    chosen: set[str] = set(request.POST.getlist("lessons")) if request.method == "POST" else set()
    groups = selectors.upcoming_lessons(student=student) if student is not None else []
    context = {"children": kids, "student": student, "groups": groups, "form": form, "chosen": chosen}
    return render(request, "attendance/leave/new.html", context)


@login_required
def my_leaves(request: HttpRequest) -> HttpResponse:
    """我的请假: a family's requests for its children, or a teacher's own leaves."""
    actor = _actor(request)
    status = request.GET.get("status", "")
    filters = {"status": status if status in LeaveStatus.values else ""}
    if actor.has_role(*FAMILY):
        queryset: Any = selectors.leave_list(actor=actor, filters=filters)
        kind = "student"
    elif actor.role in TEACHING_ROLES:
        queryset = selectors.teacher_leave_list(actor=actor, filters=filters)
        kind = "teacher"
    else:
        raise DjangoPermissionDenied("只有家长、学生或教师有“我的请假”")
    context: dict[str, Any] = {"kind": kind, "status": filters["status"], "statuses": LeaveStatus.choices}
    context.update(list_context(request, queryset))
    return render(request, "attendance/leave/mine.html", context)


def _withdraw(request: HttpRequest, leave: Any, withdraw: Callable[..., Any], context: dict[str, Any]) -> HttpResponse:
    """A pending request withdrawn by whoever asked: a confirmation (GET), then the withdrawal (POST)."""
    form = Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and call_form(form, withdraw, actor=_actor(request), leave=leave):
        messages.success(request, "请假申请已撤回。")
        return redirect("attendance:my_leaves")
    return render(request, "attendance/leave/withdraw.html", {"leave": leave, "form": form, **context})


@login_required
def leave_withdraw(request: HttpRequest, leave_id: int) -> HttpResponse:
    """The family withdraws a pending request."""
    leave = call_page(selectors.leave_get, actor=_actor(request), leave_id=leave_id)
    return _withdraw(request, leave, services.leave_withdraw, {"kind": "student"})


# --- review by the section's teachers and the school ------------------------------------------------------------


REVIEW_HEADERS = [
    "学生", "班级", "课班", "课程", "请假课次", "请假原因", "状态", "申请人", "申请时间", "审批人", "审批时间",
    "审批意见",
]  # fmt: skip


def _review_export_row(leave: LeaveRequest) -> list[Any]:
    return [
        leave.student.name, str(leave.student.school_class), leave.section.name, leave.section.course.name,
        "、".join(selectors.lesson_label(x) for x in leave.lessons.all()), leave.reason, leave.get_status_display(),
        str(leave.requested_by or ""), _stamp(leave.created_at), str(leave.decided_by or ""),
        _stamp(leave.decided_at), leave.decision_note,
    ]  # fmt: skip


def _review_row(actor: Actor, leave: LeaveRequest, error: str = "") -> dict[str, Any]:
    lessons = sorted(leave.lessons.all(), key=lambda x: (x.date, x.starts_at))
    return {
        "leave": leave,
        "lessons": [selectors.lesson_label(x) for x in lessons],
        "can_decide": leave.status == LeaveStatus.PENDING and selectors.may_decide_leave(actor, leave),
        "error": error,
    }


def _require_reviewer(actor: Actor) -> None:
    if not actor.is_system_admin and not actor.has_role(*REVIEWERS):
        raise DjangoPermissionDenied("没有权限查看请假审批")


@login_required
def leave_review(request: HttpRequest) -> HttpResponse:
    """请假审批: the school's requests (school admin) or those of the sections a teacher teaches."""
    actor = _actor(request)
    _require_reviewer(actor)
    form = LeaveFilterForm(request.GET or None, sections=selectors.leave_section_choices(actor=actor))
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.leave_list(actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        return _export(
            actor, what="请假审批", filters=filters, filename="学生请假.xlsx", headers=REVIEW_HEADERS,
            rows=(_review_export_row(x) for x in queryset[:50000]),
        )  # fmt: skip
    context: dict[str, Any] = {"form": form}
    context.update(list_context(request, queryset))
    context["rows"] = [_review_row(actor, x) for x in context["page"].items]
    template = "attendance/leave/_review_table.html" if request.htmx else "attendance/leave/review.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _decide(request: HttpRequest, leave_id: int, *, approve: bool) -> HttpResponse:
    actor = _actor(request)
    _require_reviewer(actor)
    leave = call_page(selectors.leave_get, actor=actor, leave_id=leave_id)
    form: BaseForm = ApproveForm(request.POST) if approve else RejectForm(request.POST)
    error, done = "", None
    if form.is_valid():
        try:
            done = services.leave_decide(actor=actor, leave=leave, approve=approve, note=form.cleaned_data["note"])
        except AppError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                raise page_error(exc) from None
            error = exc.message
    else:
        error = _first_error(form)
    notice = ""
    if done is not None:
        skipped = getattr(done, "skipped_lessons", [])
        notice = f"已批准{done.student.name}的请假。" if approve else f"已驳回{done.student.name}的请假。"
        if skipped:
            notice += f"{'、'.join(selectors.lesson_when(x) for x in skipped)} 的课已开始或已停课，未记为请假。"
    if request.htmx:  # type: ignore[attr-defined]
        fresh = selectors.leave_get(actor=actor, leave_id=leave.pk)
        row = _review_row(actor, fresh, error)
        return render(request, "attendance/leave/_review_row.html", {"row": row, "notice": notice})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("attendance:leaves")


@login_required
@require_POST
def leave_approve(request: HttpRequest, leave_id: int) -> HttpResponse:
    return _decide(request, leave_id, approve=True)


@login_required
@require_POST
def leave_reject(request: HttpRequest, leave_id: int) -> HttpResponse:
    return _decide(request, leave_id, approve=False)


# --- teacher leave ---------------------------------------------------------------------------------------------


@login_required
def teacher_leave_new(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """A teacher asks leave for one lesson it teaches (from the lesson's link on today's page)."""
    actor = _actor(request)
    if actor.role not in TEACHING_ROLES:
        raise DjangoPermissionDenied("只有教师可以申请教师请假")
    lesson = call_page(selectors.lesson_for_teacher_leave, actor=actor, lesson_id=lesson_id)
    form = TeacherLeaveForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and call_form(
            form, services.teacher_leave_request, actor=actor, lesson=lesson, reason=form.cleaned_data["reason"]
        )
    ):
        messages.success(request, "请假申请已提交，等待学校审批。")
        return redirect("attendance:my_leaves")
    pending = selectors.teacher_leave_list(actor=actor, filters={"status": LeaveStatus.PENDING}).filter(lesson=lesson)
    context = {
        "lesson": lesson, "form": form, "when": selectors.lesson_label(lesson),
        "chapter": selectors.chapter_label(lesson), "pending": pending.first(),
    }  # fmt: skip
    return render(request, "attendance/leave/teacher_new.html", context)


TEACHER_HEADERS = [
    "教师", "学校", "课班", "上课时间", "请假原因", "状态", "处理方式", "代课教师", "申请时间", "审批人", "审批时间",
    "审批意见",
]  # fmt: skip


def _teacher_export_row(leave: TeacherLeave) -> list[Any]:
    return [
        str(leave.teacher), leave.lesson.section.school.name, leave.lesson.section.name,
        selectors.lesson_label(leave.lesson), leave.reason, leave.get_status_display(),
        leave.get_resolution_display() if leave.resolution else "", str(leave.substitute or ""),
        _stamp(leave.created_at), str(leave.decided_by or ""), _stamp(leave.decided_at), leave.decision_note,
    ]  # fmt: skip


def _teacher_row(actor: Actor, leave: TeacherLeave) -> dict[str, Any]:
    return {
        "leave": leave,
        "when": selectors.lesson_label(leave.lesson),
        "can_decide": leave.status == LeaveStatus.PENDING and selectors.may_decide_teacher_leave(actor, leave),
    }


@login_required
def teacher_leaves(request: HttpRequest) -> HttpResponse:
    """教师请假: the school's teacher leaves, pending ones to decide."""
    actor = _actor(request)
    if not actor.is_system_admin and not actor.has_role(*SCHOOL_READERS):
        raise DjangoPermissionDenied("没有权限查看教师请假")
    form = TeacherLeaveFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.teacher_leave_list(actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        return _export(
            actor, what="教师请假", filters=filters, filename="教师请假.xlsx", headers=TEACHER_HEADERS,
            rows=(_teacher_export_row(x) for x in queryset[:50000]),
        )  # fmt: skip
    context: dict[str, Any] = {"form": form}
    context.update(list_context(request, queryset))
    context["rows"] = [_teacher_row(actor, x) for x in context["page"].items]
    template = "attendance/leave/_teacher_table.html" if request.htmx else "attendance/leave/teacher_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def teacher_leave_decide(request: HttpRequest, leave_id: int) -> HttpResponse:
    """The school admin approves (substitute or cancel) or rejects a teacher's leave."""
    actor = _actor(request)
    leave = call_page(selectors.teacher_leave_get, actor=actor, leave_id=leave_id)
    if not selectors.may_decide_teacher_leave(actor, leave):
        raise DjangoPermissionDenied("只有学校管理员可以审批教师请假")
    form = TeacherLeaveDecideForm(request.POST or None, substitutes=selectors.substitute_choices(lesson=leave.lesson))
    if request.method == "POST" and form.is_valid():
        action, data = form.cleaned_data["action"], form.cleaned_data
        decided = call_form(
            form, services.teacher_leave_decide, actor=actor, leave=leave, approve=action != "reject",
            resolution=action if action != "reject" else "", substitute=data.get("substitute"),
            note=data.get("note") or "",
        )  # fmt: skip
        if decided:
            done = {"substitute": "已批准，并已安排代课。", "cancel": "已批准，该课停课，已通知家长。"}
            messages.success(request, done.get(action, "已驳回该请假申请。"))
            return redirect("attendance:teacher_leaves")
    context = {
        "leave": leave, "form": form, "when": selectors.lesson_label(leave.lesson),
        "chapter": selectors.chapter_label(leave.lesson), "teachers": list(leave.lesson.teachers.all()),
    }  # fmt: skip
    return render(request, "attendance/leave/teacher_decide.html", context)


@login_required
def teacher_leave_withdraw(request: HttpRequest, leave_id: int) -> HttpResponse:
    leave = call_page(selectors.teacher_leave_get, actor=_actor(request), leave_id=leave_id)
    context = {"kind": "teacher", "when": selectors.lesson_label(leave.lesson)}
    return _withdraw(request, leave, services.teacher_leave_withdraw, context)


urlpatterns: list[URLPattern] = [
    path("leave/new/", leave_new, name="leave_new"),
    path("leave/mine/", my_leaves, name="my_leaves"),
    path("leave/review/", leave_review, name="leaves"),
    path("leave/<int:leave_id>/approve/", leave_approve, name="leave_approve"),
    path("leave/<int:leave_id>/reject/", leave_reject, name="leave_reject"),
    path("leave/<int:leave_id>/withdraw/", leave_withdraw, name="leave_withdraw"),
    path("lessons/<int:lesson_id>/leave/", teacher_leave_new, name="teacher_leave_new"),
    path("leave/teachers/", teacher_leaves, name="teacher_leaves"),
    path("leave/teachers/<int:leave_id>/decide/", teacher_leave_decide, name="teacher_leave_decide"),
    path("leave/teachers/<int:leave_id>/withdraw/", teacher_leave_withdraw, name="teacher_leave_withdraw"),
]
