"""Pages of course review (课程审核): the review queue, an offer with its history, submit, decide, recall,
withdraw, and the school's list of what organization changes left behind (机构变动待处理).

Thin: parse, call the selector or service with `actor=`, render. Refusals come back as AppError: a 403 page for
PermissionDenied, a 404 for NotFound, the message on the form (409 for a conflict) otherwise.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from afterschool.core.choices import CourseCategory
from afterschool.core.errors import AppError, Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.export import xlsx_response
from afterschool.core.views import list_context

from ..choices import OfferStatus
from ..forms.review import DecisionForm, SubmitForm, WithdrawForm
from ..models import CourseOffer
from ..selectors import review as selectors
from ..services import review as services

KIND_CHOICES = [("offer", "已通过的课程"), ("dispatch", "外派教师")]


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _raise_for(exc: AppError) -> None:
    """PermissionDenied → 403 page, NotFound → 404 page; the rest is the caller's to show."""
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(exc.message) from None
    if isinstance(exc, NotFound):
        raise Http404 from None


def _show_error(form: BaseForm, exc: AppError) -> None:
    """Every message of the refusal on the form (the service speaks of school_ids; the form of schools)."""
    detail = exc.detail if isinstance(exc, ValidationFailed) and isinstance(exc.detail, dict) else {}
    placed = False
    for key, msgs in detail.items():
        field = {"school_ids": "schools"}.get(key, key)
        for message in msgs if isinstance(msgs, list) else [msgs]:
            form.add_error(field if field in form.fields else None, str(message))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _offer(actor: Any, pk: int) -> CourseOffer:
    try:
        return selectors.offer_get(actor=actor, offer_id=pk)
    except NotFound:
        raise Http404 from None


def _course(actor: Any, pk: int) -> Any:
    try:
        return selectors.course_for_review(actor=actor, course_id=pk)
    except NotFound:
        raise Http404 from None


def _filter_rows(
    request: HttpRequest, specs: list[tuple[str, str, list[tuple[str, str]]]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values: dict[str, Any] = {"q": request.GET.get("q", "").strip()[:64]}
    rows = []
    for name, label, choices in specs:
        value = request.GET.get(name, "")
        values[name] = value if value in {c[0] for c in choices} else ""
        rows.append({"name": name, "label": label, "choices": choices, "value": values[name]})
    return values, rows


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not selectors.can_read_offers(actor):
        raise DjangoPermissionDenied("当前角色不能查看课程审核")
    values, filters = _filter_rows(
        request,
        [
            ("status", "状态", [(str(v), str(label)) for v, label in OfferStatus.choices]),
            ("school", "学校", selectors.offer_school_choices(actor=actor)),
            ("organization", "机构", selectors.offer_organization_choices(actor=actor)),
            ("category", "类别", [(str(v), str(label)) for v, label in CourseCategory.choices]),
        ],
    )
    if request.GET.get("export") == "xlsx":
        return xlsx_response(filename="课程审核.xlsx", content=services.offer_export(actor=actor, filters=values))
    context = list_context(request, selectors.offer_list(actor=actor, filters=values))
    context.update({"filters": filters, "q": values["q"]})
    context["rows"] = [
        {"offer": o, "can_decide": o.status == OfferStatus.SUBMITTED and selectors.can_decide(actor, o)}
        for o in context["page"].items
    ]
    template = "courses/review/_table.html" if getattr(request, "htmx", False) else "courses/review/list.html"
    return render(request, template, context)


@login_required
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    offer = _offer(actor, pk)
    context = {
        "offer": offer,
        "history": selectors.offer_history(actor=actor, offer=offer),
        "can_decide": offer.status == OfferStatus.SUBMITTED and selectors.can_decide(actor, offer),
        "can_recall": offer.status == OfferStatus.SUBMITTED and selectors.can_submit(actor, offer.course),
        "can_resubmit": offer.status in selectors.RESUBMITTABLE and selectors.can_submit(actor, offer.course),
        "can_withdraw": offer.status == OfferStatus.APPROVED and selectors.can_withdraw(actor, offer.course),
        "course_url": selectors.course_url(offer.course_id),
    }
    return render(request, "courses/review/offer_detail.html", context)


@login_required
def course_submit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(actor, pk)
    if not selectors.can_submit(actor, course):
        raise DjangoPermissionDenied("只有课程所属的学校或机构可以提交审核")
    schools = selectors.submit_school_choices(actor=actor, course=course)
    form = SubmitForm(
        request.POST if request.method == "POST" else None, schools=schools, pick_schools=course.is_organization_course
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        ids = [s.pk for s in form.cleaned_data.get("schools", [])]
        try:
            offers = services.course_submit(actor=actor, course=course, school_ids=ids)
        except AppError as exc:
            _raise_for(exc)
            _show_error(form, exc)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            names = "、".join(o.school.name for o in offers)
            messages.success(request, f"课程“{course.name}”已提交审核：{names}。")
            course_url = selectors.course_url(course.pk)
            return redirect(course_url) if course_url else redirect("courses:offer_detail", offers[0].pk)
    elif request.method == "POST":
        status = 422
    context = {
        "course": course,
        "form": form,
        "has_chapters": course.chapters.exists(),
        "no_schools": course.is_organization_course and not schools.exists(),
        "course_url": selectors.course_url(course.pk),
    }
    return render(request, "courses/review/submit.html", context, status=status)


@login_required
def offer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    offer = _offer(actor, pk)
    if not selectors.can_decide(actor, offer):
        raise DjangoPermissionDenied("只有该校学校管理员或本区教育局可以审核课程")
    initial = {"decision": request.GET.get("decision")} if request.GET.get("decision") in ("approve", "reject") else {}
    form = DecisionForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        comment = form.cleaned_data.get("comment", "")
        try:
            if approve:
                services.offer_approve(actor=actor, offer=offer, comment=comment)
            else:
                services.offer_reject(actor=actor, offer=offer, comment=comment)
        except AppError as exc:
            _raise_for(exc)
            _show_error(form, exc)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            messages.success(
                request, f"已{'通过' if approve else '驳回'}课程“{offer.course.name}”（{offer.school.name}）。"
            )
            return redirect("courses:offer_detail", offer.pk)
    elif request.method == "POST":
        status = 422
    context = {"offer": offer, "form": form, "decided": offer.status != OfferStatus.SUBMITTED}
    return render(request, "courses/review/decide.html", context, status=status)


@login_required
def offer_recall(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    offer = _offer(actor, pk)
    if not selectors.can_submit(actor, offer.course):
        raise DjangoPermissionDenied("只有课程所属的学校或机构可以撤回提交")
    error = None
    if request.method == "POST":
        try:
            services.offer_recall(actor=actor, offer=offer)
        except AppError as exc:
            _raise_for(exc)
            error = exc.message
        else:
            messages.success(request, f"已撤回课程“{offer.course.name}”向{offer.school.name}的提交。")
            return redirect("courses:offer_detail", offer.pk)
    context = {"offer": offer, "error": error}
    return render(request, "courses/review/recall.html", context, status=409 if error else 200)


@login_required
def course_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(actor, pk)
    if not selectors.can_withdraw(actor, course):
        raise DjangoPermissionDenied("只有教育局可以撤销机构课程的审核通过")
    schools = selectors.withdraw_school_choices(actor=actor, course=course)
    form = WithdrawForm(request.POST if request.method == "POST" else None, schools=schools)
    status = 200
    if request.method == "POST" and form.is_valid():
        ids = [s.pk for s in form.cleaned_data.get("schools", [])]
        try:
            offers = services.course_withdraw(
                actor=actor, course=course, reason=form.cleaned_data["reason"], school_ids=ids
            )
        except AppError as exc:
            _raise_for(exc)
            _show_error(form, exc)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            names = "、".join(o.school.name for o in offers)
            messages.success(request, f"已撤销课程“{course.name}”的审核通过：{names}。")
            return redirect(selectors.course_url(course.pk) or f"{_review_list_url()}?course={course.pk}")
    elif request.method == "POST":
        status = 422
    context = {"course": course, "form": form, "no_schools": not schools.exists()}
    context["course_url"] = selectors.course_url(course.pk)
    return render(request, "courses/review/withdraw.html", context, status=status)


def _review_list_url() -> str:
    from django.urls import reverse

    return reverse("courses:review_list")


@login_required
def impact(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not selectors.can_read_impact(actor):
        raise DjangoPermissionDenied("当前角色不能查看机构变动待处理")
    school_choices = selectors.impact_school_choices(actor=actor)
    specs = [("kind", "类型", KIND_CHOICES)]
    if len(school_choices) > 1:
        specs.insert(0, ("school", "学校", school_choices))
    values, filters = _filter_rows(request, specs)
    if request.GET.get("export") == "xlsx":
        content = services.impact_export(actor=actor, filters=values)
        return xlsx_response(filename="机构变动待处理.xlsx", content=content)
    context = list_context(request, selectors.impact_list(actor=actor, filters=values))
    context.update({"filters": filters, "q": values["q"]})
    template = "courses/review/_impact_table.html" if getattr(request, "htmx", False) else "courses/review/impact.html"
    return render(request, template, context)


urlpatterns: list[URLPattern] = [
    path("review/", review_list, name="review_list"),
    path("review/offers/<int:pk>/", offer_detail, name="offer_detail"),
    path("review/offers/<int:pk>/decide/", offer_decide, name="offer_decide"),
    path("review/offers/<int:pk>/recall/", offer_recall, name="offer_recall"),
    path("review/courses/<int:pk>/submit/", course_submit, name="course_submit"),
    path("review/courses/<int:pk>/withdraw/", course_withdraw, name="course_withdraw"),
    path("review/impact/", impact, name="impact"),
]
