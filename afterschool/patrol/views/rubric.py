"""Pages: the patrol rubric (巡课评价项) of a school — list, add, edit, reorder, deactivate, delete (asks first), and
the default items in one tap. School admins (their school); the platform names the school with ?school=."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from afterschool.core.errors import AppError, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.views import call_form, call_page, page_error
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..forms.rubric import CriterionForm
from ..models import PatrolCriterion
from ..selectors import rubric as selectors
from ..selectors.patrols import school_choices, school_for
from ..services import rubric as services


def _manager(request: HttpRequest) -> Actor:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    if not selectors.may_manage_rubric(actor):
        raise DjangoPermissionDenied("只有学校管理员可以设置巡课评价项")
    return actor


def _school_id(request: HttpRequest) -> int | None:
    raw = request.GET.get("school") or request.POST.get("school") or ""
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _back(criterion_or_school: PatrolCriterion | School) -> str:
    school_id = (
        criterion_or_school.school_id if isinstance(criterion_or_school, PatrolCriterion) else criterion_or_school.pk
    )
    return f"{reverse('patrol:rubric')}?school={school_id}"


def _school(actor: Actor, request: HttpRequest) -> School:
    try:
        return school_for(actor=actor, school_id=_school_id(request))
    except AppError:
        raise Http404() from None


def _criterion(actor: Actor, pk: int) -> PatrolCriterion:
    return call_page(selectors.criterion_get, actor=actor, criterion_id=pk)  # type: ignore[no-any-return]


@login_required
def rubric(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    try:
        school = school_for(actor=actor, school_id=_school_id(request))
    except ValidationFailed:
        # The platform chooses a school first.
        schools = school_choices(actor=actor)
        return render(request, "patrol/choose_school.html", {"schools": schools, "target": "patrol:rubric"})
    except NotFound:
        raise Http404() from None
    items = list(selectors.criterion_list(actor=actor, school_id=school.pk))
    used = selectors.used_criterion_ids(school.pk)
    context = {
        "school": school,
        "rows": [{"item": item, "used": item.pk in used, "first": i == 0, "last": i == len(items) - 1}
                 for i, item in enumerate(items)],
        "defaults": selectors.DEFAULT_RUBRIC,
    }  # fmt: skip
    return render(request, "patrol/rubric/list.html", context)


@login_required
def rubric_new(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    school = _school(actor, request)
    form = CriterionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = call_form(form, services.criterion_create, actor=actor, school_id=school.pk, data=data)
        if created is not None:
            messages.success(request, f"已添加评价项“{created.name}”")
            return redirect(_back(created))
    context = {"form": form, "school": school, "title": "添加评价项"}
    return render(request, "patrol/rubric/form.html", context, status=422 if form.errors else 200)


@login_required
def rubric_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    criterion = _criterion(actor, pk)
    initial = {"name": criterion.name, "description": criterion.description, "scale": criterion.scale}
    form = CriterionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = call_form(form, services.criterion_update, actor=actor, criterion=criterion, data=data)
        if saved is not None:
            messages.success(request, f"已保存评价项“{saved.name}”")
            return redirect(_back(saved))
    context = {"form": form, "school": criterion.school, "criterion": criterion, "title": "修改评价项"}
    return render(request, "patrol/rubric/form.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def rubric_move(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    criterion = _criterion(actor, pk)
    try:
        services.criterion_move(actor=actor, criterion=criterion, direction=request.POST.get("direction", ""))
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None
    except AppError as exc:
        messages.error(request, exc.message)
    return redirect(_back(criterion))


@login_required
@require_POST
def rubric_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (停用) or activate (启用) an item."""
    actor = _manager(request)
    criterion = _criterion(actor, pk)
    active = request.POST.get("is_active") == "1"
    call_page(services.criterion_update, actor=actor, criterion=criterion, data={"is_active": active})
    messages.success(request, f"已{'启用' if active else '停用'}评价项“{criterion.name}”")
    return redirect(_back(criterion))


@login_required
def rubric_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first; an item a patrol has used is deactivated instead of deleted."""
    actor = _manager(request)
    criterion = _criterion(actor, pk)
    if request.method == "POST":
        outcome = call_page(services.criterion_delete, actor=actor, criterion=criterion)
        if outcome == "deleted":
            messages.success(request, f"已删除评价项“{criterion.name}”")
        else:
            messages.success(request, f"评价项“{criterion.name}”已被巡课记录使用，已停用（历史记录保留）")
        return redirect(_back(criterion))
    context = {"criterion": criterion, "used": selectors.criterion_used(criterion), "back": _back(criterion)}
    return render(request, "patrol/rubric/confirm_delete.html", context)


@login_required
@require_POST
def rubric_defaults(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    school = _school(actor, request)
    try:
        created = services.rubric_use_defaults(actor=actor, school_id=school.pk)
    except (NotFound, PermissionDenied) as exc:
        raise page_error(exc) from None
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已使用默认评价项：{'、'.join(c.name for c in created)}")
    return redirect(_back(school))


urlpatterns: list[URLPattern] = [
    path("rubric/", rubric, name="rubric"),
    path("rubric/new/", rubric_new, name="rubric_new"),
    path("rubric/defaults/", rubric_defaults, name="rubric_defaults"),
    path("rubric/<int:pk>/edit/", rubric_edit, name="rubric_edit"),
    path("rubric/<int:pk>/move/", rubric_move, name="rubric_move"),
    path("rubric/<int:pk>/active/", rubric_active, name="rubric_active"),
    path("rubric/<int:pk>/delete/", rubric_delete, name="rubric_delete"),
]
