"""Pages: timetables — the school's after-school timetable (week / month, by dimension), one's own timetable (teachers,
org teachers, parents per child, students), a class's regular timetable beside its after-school lessons, calendar
feeds (课表订阅) and the public iCalendar endpoint. Every view prints (print CSS) and exports (?export=xlsx)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from afterschool.accounts.choices import Role
from afterschool.core.errors import AppError, NotFound, ValidationFailed
from afterschool.core.export import xlsx_response
from afterschool.core.timeutil import local_today
from afterschool.core.views import form_error_from
from afterschool.schools.models import SchoolClass, Student
from afterschool.schools.selectors import timetable as class_selectors
from afterschool.tenancy.actor import Actor

from ..forms.timetables import CalendarFeedForm
from ..selectors import timetables as selectors
from ..services import timetables as services

FILTER_PARAMS = ("school", "term", "grade", "class", "teacher", "venue", "course", "student")


# --- request parsing -------------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _anchor(request: HttpRequest) -> dt.date:
    """?date=YYYY-MM-DD (any day of the week or month shown); today when absent or unreadable."""
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return local_today()
    return day if 2000 <= day.year <= 2100 else local_today()


def _mode(request: HttpRequest) -> str:
    return "month" if request.GET.get("view") == "month" else "week"


def _window(mode: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    return selectors.month_bounds(anchor) if mode == "month" else selectors.week_bounds(anchor)


def _shift(mode: str, anchor: dt.date, step: int) -> dt.date:
    if mode == "week":
        return selectors.week_bounds(anchor)[0] + dt.timedelta(days=7 * step)
    month = anchor.month - 1 + step
    year, month = anchor.year + month // 12, month % 12 + 1
    return dt.date(year, month, 1)


def _filters(request: HttpRequest) -> tuple[dict[str, int], list[str]]:
    """The dimension filters of the query string; an unreadable one is dropped and reported."""
    cleaned: dict[str, int] = {}
    errors: list[str] = []
    for name in FILTER_PARAMS:
        try:
            cleaned.update(selectors.clean_filters({name: request.GET.get(name)}))
        except ValidationFailed:
            errors.append(name)
    return cleaned, errors


def _qs(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _calendar_context(
    request: HttpRequest, *, views: list[selectors.LessonView], mode: str, anchor: dt.date, keep: dict[str, Any]
) -> dict[str, Any]:
    """The grid of the window and the links that move through it, keeping `keep` in every link."""
    today = local_today()
    base = {**keep, "view": mode}
    context: dict[str, Any] = {
        "mode": mode,
        "anchor": anchor,
        "prev_qs": _qs(**base, date=_shift(mode, anchor, -1).isoformat()),
        "next_qs": _qs(**base, date=_shift(mode, anchor, 1).isoformat()),
        "today_qs": _qs(**base, date=today.isoformat()),
        "week_qs": _qs(**keep, view="week", date=anchor.isoformat()),
        "month_qs": _qs(**keep, view="month", date=anchor.isoformat()),
        "export_qs": _qs(**base, date=anchor.isoformat(), export="xlsx"),
        "lesson_count": len(views),
    }
    if mode == "month":
        grid = selectors.month_grid(views, anchor, today=today)
        context["month"] = grid
        context["title_range"] = f"{anchor.year} 年 {anchor.month} 月"
        context["weekday_labels"] = selectors.WEEKDAY_LABELS
    else:
        week = selectors.week_grid(views, selectors.week_bounds(anchor)[0], today=today)
        context["week"] = week
        context["title_range"] = f"{week.start:%Y-%m-%d} 至 {week.end:%Y-%m-%d}"
    return context


def _export(actor: Actor, lessons: Any, *, what: str, start: dt.date, end: dt.date, filters: dict[str, Any]) -> Any:
    content = services.timetable_export(
        actor=actor,
        lessons=lessons,
        what=what,
        detail={"start": start.isoformat(), "end": end.isoformat(), "filters": filters},
    )
    return xlsx_response(filename=f"{what}_{start:%Y%m%d}-{end:%Y%m%d}.xlsx", content=content)


# --- the school's after-school timetable -----------------------------------------------------------------------


@login_required
@require_GET
def timetable_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    mode, anchor = _mode(request), _anchor(request)
    start, end = _window(mode, anchor)
    filters, bad = _filters(request)
    lessons = selectors.lessons_in_window(actor=actor, start=start, end=end, filters=filters)
    if request.GET.get("export") == "xlsx":
        return _export(actor, lessons, what="课后服务课表", start=start, end=end, filters=filters)
    choices = selectors.filter_choices(
        actor=actor, school_id=filters.get("school"), school_class_id=filters.get("school_class")
    )
    keep = {name: request.GET.get(name, "") for name in FILTER_PARAMS if name not in bad}
    context = _calendar_context(request, views=selectors.lesson_views(lessons), mode=mode, anchor=anchor, keep=keep)
    context.update(
        {
            "title": "课后服务课表",
            "choices": choices,
            "selected": {name: str(value) for name, value in keep.items()},
            "bad_filters": bad,
            "can_class_timetable": actor.is_system_admin or actor.has_role(*class_selectors.TIMETABLE_READERS),
            "page_url": reverse("scheduling:timetable"),
        }
    )
    return render(request, "scheduling/timetables/timetable.html", context)


# --- my timetable ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def my_timetable_view(request: HttpRequest) -> HttpResponse:
    """Teachers and org teachers: the lessons they teach; parents: one child's (a switcher); students: their own."""
    actor = _actor(request)
    mode, anchor = _mode(request), _anchor(request)
    start, end = _window(mode, anchor)
    children: list[Student] = []
    child: Student | None = None
    keep: dict[str, Any] = {}
    if actor.has_role(Role.PARENT, Role.STUDENT):
        children = selectors.children_of(actor=actor)
        wanted = request.GET.get("child", "")
        if wanted:
            child = next((c for c in children if str(c.pk) == wanted), None)
            if child is None:
                raise Http404
        elif children:
            child = children[0]
        if child is not None:
            keep["child"] = child.pk
            lessons: Any = selectors.lessons_in_window(actor=actor, start=start, end=end, filters={"student": child.pk})
        else:
            lessons = []
    else:
        lessons = selectors.lessons_in_window(actor=actor, start=start, end=end, mine=True)
    title = f"{child.name} 的课表" if child is not None else "我的课表"
    if request.GET.get("export") == "xlsx":
        return _export(actor, lessons, what=title, start=start, end=end, filters=keep)
    context = _calendar_context(request, views=selectors.lesson_views(lessons), mode=mode, anchor=anchor, keep=keep)
    context.update(
        {
            "title": title,
            "children": children,
            "child": child,
            "is_family": actor.has_role(Role.PARENT, Role.STUDENT),
            "can_subscribe": actor.has_role(*selectors.FEED_ROLES),
            "page_url": reverse("scheduling:my_timetable"),
        }
    )
    return render(request, "scheduling/timetables/my_timetable.html", context)


# --- a class's regular timetable beside its after-school lessons -----------------------------------------------


@login_required
@require_GET
def class_timetable_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not actor.is_system_admin and not actor.has_role(*class_selectors.TIMETABLE_READERS):
        raise DjangoPermissionDenied("当前角色不能查看班级课表")
    classes = list(class_selectors.timetable_classes(actor=actor)[:1000])
    wanted = request.GET.get("class", "")
    school_class: SchoolClass | None
    if wanted:
        try:
            school_class = class_selectors.timetable_class_get(actor=actor, school_class_id=wanted)
        except NotFound:
            raise Http404 from None
    else:
        school_class = classes[0] if classes else None
    anchor = _anchor(request)
    start = selectors.week_bounds(anchor)[0]
    keep = {"class": school_class.pk if school_class is not None else ""}
    context: dict[str, Any] = {
        "title": "班级课表",
        "school_class": school_class,
        "page_url": reverse("scheduling:class_timetable"),
    }
    several_schools = len({c.school_id for c in classes}) > 1
    context["classes"] = [(c.pk, f"{c.school.name} · {c}" if several_schools else str(c)) for c in classes]
    if school_class is not None:
        regular, week = selectors.class_week(actor=actor, school_class=school_class, start=start)
        if request.GET.get("export") == "xlsx":
            content = services.class_timetable_export(
                actor=actor, school_class=school_class, regular=regular, week=week
            )
            return xlsx_response(filename=f"班级课表_{school_class}_{start:%Y%m%d}.xlsx", content=content)
        context["regular"] = regular
    else:
        week = selectors.week_grid([], start)
    context.update(
        {
            "mode": "week",
            "week": week,
            "lesson_count": sum(len(d.lessons) for d in week.days),
            "title_range": f"{week.start:%Y-%m-%d} 至 {week.end:%Y-%m-%d}",
            "prev_qs": _qs(**keep, date=(start - dt.timedelta(days=7)).isoformat()),
            "next_qs": _qs(**keep, date=(start + dt.timedelta(days=7)).isoformat()),
            "today_qs": _qs(**keep, date=local_today().isoformat()),
            "export_qs": _qs(**keep, date=start.isoformat(), export="xlsx"),
        }
    )
    return render(request, "scheduling/timetables/class_timetable.html", context)


# --- calendar feeds --------------------------------------------------------------------------------------------


def _feed_actor(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not actor.has_role(*selectors.FEED_ROLES):
        raise DjangoPermissionDenied("当前角色不能订阅课表")
    return actor


def _feed_url(request: HttpRequest, raw: str) -> str:
    return request.build_absolute_uri(reverse("scheduling:calendar_feed", args=[raw]))


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feeds_view(request: HttpRequest) -> HttpResponse:
    actor = _feed_actor(request)
    children = selectors.children_of(actor=actor)
    ask_child = actor.has_role(Role.PARENT)
    data = request.POST if request.method == "POST" else None
    form = CalendarFeedForm(data, children=children, ask_child=ask_child)
    new_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            _feed, raw = services.calendar_feed_create(actor=actor, student_id=form.cleaned_data.get("student"))
        except NotFound:
            form.add_error("student" if ask_child else None, "请选择您的孩子")
        except AppError as exc:
            form_error_from(form, exc)
        else:
            new_url = _feed_url(request, raw)
            form = CalendarFeedForm(children=children, ask_child=ask_child)
    context = {
        "feeds": list(selectors.calendar_feed_list(actor=actor)),
        "form": form,
        "ask_child": ask_child,
        "new_url": new_url,
        "new_webcal": new_url.replace("https://", "webcal://").replace("http://", "webcal://") if new_url else "",
    }
    return render(request, "scheduling/timetables/feeds.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed_revoke_view(request: HttpRequest, feed_id: int) -> HttpResponse:
    actor = _feed_actor(request)
    try:
        feed = selectors.calendar_feed_get(actor=actor, feed_id=feed_id)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        services.calendar_feed_revoke(actor=actor, feed=feed)
        messages.success(request, "已停用该课表订阅，日历应用将无法再获取更新。")
        return redirect("scheduling:calendar_feeds")
    return render(request, "scheduling/timetables/feed_revoke.html", {"feed": feed})


@require_GET
def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """Public (calendar apps cannot log in): the token is the credential. Unknown or revoked → 404."""
    try:
        feed = selectors.calendar_feed_by_token(token)
    except NotFound:
        raise Http404 from None
    if services.calendar_feed_throttled(feed):
        response = HttpResponse("请求过于频繁，请稍后再试", status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "3600"
        return response
    domain = getattr(settings, "AFTERSCHOOL_CALENDAR_DOMAIN", "") or request.get_host().split(":")[0]
    content = services.calendar_document(feed=feed, domain=domain)
    services.calendar_feed_touch(feed)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="timetable.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


urlpatterns: list[URLPattern] = [
    path("timetable/", timetable_view, name="timetable"),
    path("timetable/mine/", my_timetable_view, name="my_timetable"),
    path("timetable/class/", class_timetable_view, name="class_timetable"),
    path("feeds/", calendar_feeds_view, name="calendar_feeds"),
    path("feeds/<int:feed_id>/revoke/", calendar_feed_revoke_view, name="calendar_feed_revoke"),
    path("feeds/<str:token>.ics", calendar_feed_view, name="calendar_feed"),
]
