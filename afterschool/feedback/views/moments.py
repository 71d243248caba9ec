"""Pages of classroom moments (课堂风采): a teacher posts one for a lesson and follows its own; the school reviews them
(one tap to approve, a reason to reject, htmx); the school and the bureau list them; families read the feed of their
children's sections on a phone (newest first, "加载更多" with htmx). Photos and videos are served only through
`moment_media`, which applies the same rule as the moment (404 otherwise)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import BaseForm, Form
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.attendance.selectors.common import TEACHING_ROLES
from afterschool.attendance.selectors.leave import chapter_label, lesson_label
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.export import build_xlsx, xlsx_response
from afterschool.core.pagination import paginate
from afterschool.core.views import call_form, call_page, list_context, page_error
from afterschool.tenancy.actor import Actor

from ..choices import MomentMediaKind, MomentStatus
from ..forms.moments import MomentFilterForm, MomentForm, RejectForm
from ..media import moment_media_response, posters_from
from ..models import Moment, MomentMedia
from ..selectors import moments as selectors
from ..services import moments as services

FAMILY = (Role.PARENT, Role.STUDENT)
LIST_READERS = (Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN, Role.ORG_ADMIN)
FEED_PAGE_SIZE = 10
THUMB_BOX = 160  # px: the thumbnails' box in the grid (the stylesheet may draw them larger)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _first_error(form: BaseForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "提交的数据有误"


# --- how a moment is shown ------------------------------------------------------------------------------------------


def _box(width: int | None, height: int | None) -> tuple[int, int]:
    if not width or not height:
        return THUMB_BOX, THUMB_BOX * 9 // 16
    scale = THUMB_BOX / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def media_item(media: MomentMedia) -> dict[str, Any]:
    url = reverse("feedback:moment_media", args=[media.moment_id, media.pk])
    width, height = _box(media.width, media.height)
    return {
        "media": media, "url": url, "preview_url": f"{url}?preview=1", "is_video": media.kind == MomentMediaKind.VIDEO,
        "box_width": width, "box_height": height, "position": media.position + 1,
    }  # fmt: skip


def moment_card(actor: Actor, moment: Moment, error: str = "") -> dict[str, Any]:
    name = selectors.teacher_name(moment)
    return {
        "moment": moment,
        "course": moment.section.course.name,
        "teacher": name,
        "initial": name[:1],
        "posted": selectors.moment_when(moment),
        "lesson": lesson_label(moment.lesson),
        "chapter": chapter_label(moment.lesson),
        "media": [media_item(m) for m in moment.media.all()],
        "can_review": moment.status == MomentStatus.PENDING and selectors.may_review(actor, moment),
        "can_delete": selectors.may_delete(actor, moment),
        "is_author": moment.author_id == actor.user_id,
        "error": error,
    }


# --- posting -------------------------------------------------------------------------------------------------------


@login_required
def moment_new(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """发布课堂风采: a teacher of the lesson writes the summary and picks up to 9 photos or videos."""
    actor = _actor(request)
    if actor.role not in TEACHING_ROLES:
        raise DjangoPermissionDenied("只有任课教师可以发布课堂风采")
    lesson = call_page(selectors.lesson_for_moment, actor=actor, lesson_id=lesson_id)
    refusal = selectors.lesson_refusal(lesson)
    form = MomentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and refusal is None and form.is_valid():
        posted = call_form(
            form, services.moment_post, actor=actor, lesson=lesson, text=form.cleaned_data["text"],
            files=form.cleaned_data["files"], posters=posters_from(request.FILES),
        )  # fmt: skip
        if posted is not None:
            messages.success(request, "课堂风采已发布，学校审核通过后家长就能看到。")
            return redirect("feedback:my_moments")
    context = {
        "lesson": lesson, "form": form, "refusal": refusal[1] if refusal else "", "when": lesson_label(lesson),
        "chapter": chapter_label(lesson), "max_files": selectors.MAX_FILES,
    }  # fmt: skip
    return render(request, "feedback/moments/new.html", context)


@login_required
def my_moments(request: HttpRequest) -> HttpResponse:
    """课堂风采 of a teacher: its recent lessons (one tap to post) and its moments with status and reject reason."""
    actor = _actor(request)
    if actor.role not in TEACHING_ROLES:
        raise DjangoPermissionDenied("只有教师有“我的课堂风采”")
    status = request.GET.get("status", "")
    status = status if status in MomentStatus.values else ""
    context: dict[str, Any] = {
        "status": status, "statuses": MomentStatus.choices,
        "lessons": [
            {"lesson": x, "label": lesson_label(x), "chapter": chapter_label(x)}
            for x in selectors.postable_lessons(actor=actor)
        ],
    }  # fmt: skip
    context.update(list_context(request, selectors.my_moments(actor=actor, filters={"status": status})))
    context["cards"] = [moment_card(actor, x) for x in context["page"].items]
    return render(request, "feedback/moments/mine.html", context)


@login_required
def moment_delete(request: HttpRequest, moment_id: int) -> HttpResponse:
    """The author deletes its pending or rejected moment: a confirmation (GET), then the deletion (POST)."""
    actor = _actor(request)
    moment = call_page(selectors.moment_get, actor=actor, moment_id=moment_id)
    form = Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.moment_delete(actor=actor, moment=moment)
        except (NotFound, PermissionDenied) as exc:
            raise page_error(exc) from None
        except AppError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "课堂风采已删除。")
            return redirect("feedback:my_moments")
    context = {"card": moment_card(actor, moment), "form": form}
    return render(request, "feedback/moments/delete.html", context)


# --- reading -------------------------------------------------------------------------------------------------------


@login_required
def moment_detail(request: HttpRequest, moment_id: int) -> HttpResponse:
    actor = _actor(request)
    moment = call_page(selectors.moment_get, actor=actor, moment_id=moment_id)
    return render(request, "feedback/moments/detail.html", {"card": moment_card(actor, moment)})


@login_required
def moment_media(request: HttpRequest, moment_id: int, media_id: int) -> HttpResponseBase:
    """A photo or video of a moment (?preview=1: its thumbnail or poster frame), to whoever may see the moment."""
    actor = _actor(request)
    media = call_page(selectors.media_get, actor=actor, moment_id=moment_id, media_id=media_id)
    return moment_media_response(media, preview=request.GET.get("preview", "") not in ("", "0", "false"),
                          range_header=request.headers.get("Range", ""))  # fmt: skip


@login_required
def feed(request: HttpRequest) -> HttpResponse:
    """课堂风采 of a family: its children's sections' approved moments, newest first, ten at a time."""
    actor = _actor(request)
    if not actor.has_role(*FAMILY):
        raise DjangoPermissionDenied("只有家长或学生本人可以查看课堂风采")
    kids = selectors.children(actor=actor)
    wanted = request.GET.get("student", "")
    queryset = call_page(selectors.moment_feed, actor=actor, student_id=wanted or None)
    page = paginate(queryset, page=request.GET.get("page", 1), page_size=FEED_PAGE_SIZE)
    context: dict[str, Any] = {
        "children": kids, "student": wanted, "page": page,
        "cards": [moment_card(actor, x) for x in page.items] if page.page == _asked_page(request) else [],
    }  # fmt: skip
    template = "feedback/moments/_feed_items.html" if request.htmx else "feedback/moments/feed.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _asked_page(request: HttpRequest) -> int:
    """The page asked for (a page past the end shows nothing, rather than repeating the last one)."""
    try:
        return max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        return 1


# --- the school's and the bureau's list ------------------------------------------------------------------------------


EXPORT_HEADERS = ["学校", "课程", "课班", "上课时间", "章节", "教师", "课堂小结", "图片", "视频", "状态", "发布时间",
                  "审核人", "审核时间", "驳回原因"]  # fmt: skip


def _stamp(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _export_row(moment: Moment) -> list[Any]:
    media = list(moment.media.all())
    return [
        moment.section.school.name, moment.section.course.name, moment.section.name, lesson_label(moment.lesson),
        chapter_label(moment.lesson), selectors.teacher_name(moment), moment.text,
        sum(1 for m in media if m.kind == MomentMediaKind.IMAGE),
        sum(1 for m in media if m.kind == MomentMediaKind.VIDEO), moment.get_status_display(),
        _stamp(moment.created_at), str(moment.reviewed_by or ""), _stamp(moment.reviewed_at), moment.reject_reason,
    ]  # fmt: skip


def _filter_form(request: HttpRequest, actor: Actor) -> MomentFilterForm:
    return MomentFilterForm(
        request.GET or None, sections=selectors.section_choices(actor=actor),
        schools=selectors.school_choices(actor=actor),
        with_status=actor.is_system_admin or actor.has_role(Role.SCHOOL_ADMIN),
    )  # fmt: skip


@login_required
def moment_list(request: HttpRequest) -> HttpResponse:
    """课堂风采 of the school (every status) or of the bureau's region (approved ones): filters, search, export."""
    actor = _actor(request)
    if not actor.is_system_admin and not actor.has_role(*LIST_READERS):
        raise DjangoPermissionDenied("没有权限查看课堂风采列表")
    form = _filter_form(request, actor)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.moment_list(actor=actor, filters=filters)
    if request.GET.get("export") == "xlsx":
        rows = [_export_row(x) for x in queryset[:20000]]
        record_write(
            actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
            detail={"what": "课堂风采", "rows": len(rows), "filters": {k: str(v) for k, v in filters.items() if v}},
        )  # fmt: skip
        content = build_xlsx(headers=EXPORT_HEADERS, rows=rows, sheet_title="课堂风采")
        return xlsx_response(filename="课堂风采.xlsx", content=content)
    context: dict[str, Any] = {"form": form}
    context.update(list_context(request, queryset))
    context["cards"] = [moment_card(actor, x) for x in context["page"].items]
    template = "feedback/moments/_list_table.html" if request.htmx else "feedback/moments/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# --- review ----------------------------------------------------------------------------------------------------------


def _require_reviewer(actor: Actor) -> None:
    if not actor.is_system_admin and not actor.has_role(Role.SCHOOL_ADMIN):
        raise DjangoPermissionDenied("只有学校管理员可以审核课堂风采")


@login_required
def moment_review(request: HttpRequest) -> HttpResponse:
    """风采审核: the school's moments, those waiting first; approve with one tap, reject with a reason."""
    actor = _actor(request)
    _require_reviewer(actor)
    form = MomentFilterForm(request.GET or None, sections=selectors.section_choices(actor=actor))
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.review_list(actor=actor, filters=filters)
    context: dict[str, Any] = {"form": form, "pending": selectors.review_list(actor=actor).filter(
        status=MomentStatus.PENDING).count()}  # fmt: skip
    context.update(list_context(request, queryset))
    context["cards"] = [moment_card(actor, x) for x in context["page"].items]
    template = "feedback/moments/_review_list.html" if request.htmx else "feedback/moments/review.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _decide(request: HttpRequest, moment_id: int, *, approve: bool) -> HttpResponse:
    actor = _actor(request)
    _require_reviewer(actor)
    moment = call_page(selectors.moment_get, actor=actor, moment_id=moment_id)
    form: BaseForm = Form(request.POST) if approve else RejectForm(request.POST)
    error, notice = "", ""
    if form.is_valid():
        try:
            services.moment_review(
                actor=actor, moment=moment, approve=approve, reason=form.cleaned_data.get("reason", "")
            )
        except (NotFound, PermissionDenied) as exc:
            raise page_error(exc) from None
        except AppError as exc:
            error = exc.message
        else:
            notice = "已通过，家长和教育局可以看到了。" if approve else "已驳回，已通知发布的教师。"
    else:
        error = _first_error(form)
    if request.htmx:  # type: ignore[attr-defined]
        fresh = call_page(selectors.moment_get, actor=actor, moment_id=moment.pk)
        context = {"card": moment_card(actor, fresh, error), "notice": notice}
        return render(request, "feedback/moments/_review_card.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("feedback:moment_review")
    return redirect(back or reverse("feedback:moment_review"))


@login_required
@require_POST
def moment_approve(request: HttpRequest, moment_id: int) -> HttpResponse:
    return _decide(request, moment_id, approve=True)


@login_required
@require_POST
def moment_reject(request: HttpRequest, moment_id: int) -> HttpResponse:
    return _decide(request, moment_id, approve=False)


urlpatterns: list[URLPattern] = [
    path("lessons/<int:lesson_id>/moments/new/", moment_new, name="moment_new"),
    path("moments/", moment_list, name="moments"),
    path("moments/mine/", my_moments, name="my_moments"),
    path("moments/review/", moment_review, name="moment_review"),
    path("moments/<int:moment_id>/", moment_detail, name="moment_detail"),
    path("moments/<int:moment_id>/approve/", moment_approve, name="moment_approve"),
    path("moments/<int:moment_id>/reject/", moment_reject, name="moment_reject"),
    path("moments/<int:moment_id>/delete/", moment_delete, name="moment_delete"),
    path("moments/<int:moment_id>/media/<int:media_id>/", moment_media, name="moment_media"),
    path("feed/", feed, name="feed"),
]
