"""Pages: terms (学年学期); a term's page also manages its registration windows and calendar days."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import Role
from afterschool.core.crud import Crud, Filter, _resolve
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.views import form_error_from

from ..choices import TermNumber
from ..forms_structure import CalendarDayForm, RegistrationWindowForm, TermForm
from ..models import Term
from ..selectors import terms as selectors
from ..services import terms as services

READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
WRITERS = (Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN)


class TermCrud(Crud):
    """The shared pages, with a detail page that lists and edits the term's windows and calendar days."""

    def detail_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return _term_page(request, self, pk)


term_crud = TermCrud(
    namespace="schools",
    name="term",
    verbose_name="学年学期",
    list_selector=selectors.term_list,
    get_selector=selectors.term_get,
    id_kwarg="term_id",
    form_class=TermForm,
    columns=[
        ("学期", str),
        ("学校", "school.name"),
        ("开始日期", "starts_on"),
        ("结束日期", "ends_on"),
    ],
    detail_fields=[
        ("学校", "school"),
        ("学年", lambda t: f"{t.academic_year}–{t.academic_year + 1} 学年"),
        ("学期", "term_number"),
        ("开始日期", "starts_on"),
        ("结束日期", "ends_on"),
    ],
    create_service=services.term_create,
    update_service=services.term_update,
    delete_service=services.term_delete,
    filters=[
        Filter("academic_year", "学年", lambda actor: selectors.term_year_choices(actor=actor)),
        Filter("term_number", "学期", [(str(v), label) for v, label in TermNumber.choices]),
    ],
    read_roles=READERS,
    write_roles=WRITERS,
    search_placeholder="学年（如 2026）或学校名称",
)


def _term_page(
    request: HttpRequest,
    crud: Crud,
    pk: int,
    *,
    window_form: BaseForm | None = None,
    day_form: BaseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = crud._actor(request)
    term: Term = crud._get(actor, pk)
    context = crud._base_context(request)
    context.update(
        {
            "obj": term,
            "fields": [(label, _resolve(term, acc)) for label, acc in crud.detail_fields],
            "windows": selectors.window_list(actor=actor, term=term),
            "days": selectors.calendar_day_list(actor=actor, term=term),
            "window_form": window_form or RegistrationWindowForm(prefix="window"),
            "day_form": day_form or CalendarDayForm(prefix="day"),
        }
    )
    return render(request, "schools/terms/detail.html", context, status=status)


def _writer(request: HttpRequest) -> Any:
    return term_crud._actor(request, write=True)


def _term(actor: Any, pk: int) -> Term:
    try:
        return selectors.term_get(actor=actor, term_id=pk)
    except NotFound:
        raise Http404 from None


def _add(request: HttpRequest, pk: int, *, form_class: type, prefix: str, service: Any, saved: str) -> HttpResponse:
    actor = _writer(request)
    term = _term(actor, pk)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            service(actor=actor, term=term, data=dict(form.cleaned_data))
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except NotFound:
            raise Http404 from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, saved)
            return redirect("schools:term_detail", term.pk)
    if prefix == "window":
        return _term_page(request, term_crud, pk, window_form=form, status=422)
    return _term_page(request, term_crud, pk, day_form=form, status=422)


@login_required
@require_POST
def window_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(
        request, pk, form_class=RegistrationWindowForm, prefix="window", service=services.window_create,
        saved="报名时段已添加。",
    )  # fmt: skip


@login_required
@require_POST
def day_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(
        request, pk, form_class=CalendarDayForm, prefix="day", service=services.calendar_day_create,
        saved="校历日已添加。",
    )  # fmt: skip


def _remove(request: HttpRequest, pk: int, *, get: Any, service: Any, what: str) -> HttpResponse:
    actor = _writer(request)
    term = _term(actor, pk)
    try:
        obj = get(actor, term)
        service(actor, obj)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None
    except NotFound:
        raise Http404 from None
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{what}已删除。")
    return redirect("schools:term_detail", term.pk)


@login_required
@require_POST
def window_delete_view(request: HttpRequest, pk: int, window_id: int) -> HttpResponse:
    return _remove(
        request,
        pk,
        get=lambda actor, term: selectors.window_get(actor=actor, term=term, window_id=window_id),
        service=lambda actor, obj: services.window_delete(actor=actor, window=obj),
        what="报名时段",
    )


@login_required
@require_POST
def day_delete_view(request: HttpRequest, pk: int, day_id: int) -> HttpResponse:
    return _remove(
        request,
        pk,
        get=lambda actor, term: selectors.calendar_day_get(actor=actor, term=term, day_id=day_id),
        service=lambda actor, obj: services.calendar_day_delete(actor=actor, day=obj),
        what="校历日",
    )


urlpatterns = [
    *term_crud.urls("terms"),
    path("terms/<int:pk>/windows/", window_add_view, name="term_window_add"),
    path("terms/<int:pk>/windows/<int:window_id>/delete/", window_delete_view, name="term_window_delete"),
    path("terms/<int:pk>/days/", day_add_view, name="term_day_add"),
    path("terms/<int:pk>/days/<int:day_id>/delete/", day_delete_view, name="term_day_delete"),
]
