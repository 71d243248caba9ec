"""Pages of the course catalogue: the course list (search, filters, paging, audited export) on the shared Crud
list, and the course page with its chapters, resources, attachments, materials and the review panel.

Views stay thin: they parse, call a selector or a service with `actor=`, and render. A course out of reach is
404 (the selectors), a write the actor may not do is 403, any other refusal (the review lock, a bad file) is
shown on the form or as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from afterschool.accounts.choices import Role
from afterschool.core.choices import CourseCategory
from afterschool.core.crud import Crud, Filter
from afterschool.core.errors import AppError, NotFound, PermissionDenied
from afterschool.core.media import download_response
from afterschool.core.money import format_fen
from afterschool.core.views import form_error_from
from afterschool.tenancy.actor import Actor

from ..forms.catalogue import ChapterForm, CourseFileForm, CourseForm, MaterialForm
from ..models import Chapter, Course
from ..selectors import catalogue as selectors
from ..selectors.review import review_panel_context
from ..services import catalogue as services

READ_ROLES = (
    Role.SYSTEM_ADMIN,
    Role.BUREAU_ADMIN,
    Role.SCHOOL_ADMIN,
    Role.TEACHER,
    Role.ORG_ADMIN,
    Role.ORG_TEACHER,
    Role.ORG_STAFF,
)


def _owner_label(course: Course) -> str:
    if course.owner_school_id:
        return f"学校：{course.owner}"
    return f"机构：{course.owner}"


class CourseCrud(Crud):
    """The shared list page; "新增课程" only for those who may create one (an org needs COURSE_EDIT)."""

    def _base_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super()._base_context(request)
        context["can_create"] = selectors.may_write_course(request.actor)  # type: ignore[attr-defined]
        return context


course_crud = CourseCrud(
    namespace="courses",
    name="course",
    verbose_name="课程",
    list_selector=selectors.course_list,
    get_selector=selectors.course_get,
    id_kwarg="course_id",
    form_class=CourseForm,  # type: ignore[arg-type]
    columns=[
        ("课程名称", "name"),
        ("类别", "category"),
        ("所属", _owner_label),
        ("适用年级", lambda c: selectors.grade_labels(c.grade_levels)),
        ("章节数", "chapter_count"),
        ("审核状态", selectors.review_state_label),
    ],
    detail_fields=[],
    filters=[
        Filter("category", "类别", list(CourseCategory.choices)),
        Filter("owner_type", "所属", selectors.OWNER_TYPE_CHOICES),
        Filter("grade", "年级", selectors.GRADE_CHOICES),
        Filter("review_state", "审核状态", selectors.REVIEW_STATE_CHOICES),
    ],
    read_roles=READ_ROLES,
    write_roles=(),
    search_placeholder="课程名称或简介",
)


# --- helpers ---------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _run(call: Callable[[], Any]) -> Any:
    """Call a selector or service; 403/404 refusals become the pages' 403/404."""
    try:
        return call()
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None
    except NotFound:
        raise Http404 from None


def _course(request: HttpRequest, course_id: int) -> Course:
    return _run(lambda: selectors.course_get(actor=_actor(request), course_id=course_id))  # type: ignore[no-any-return]


def _require_writer(request: HttpRequest, course: Course | None = None) -> None:
    if not selectors.may_write_course(_actor(request), course):
        raise DjangoPermissionDenied("当前角色不能修改该课程")


def _detail_url(course: Course | int) -> str:
    return reverse("courses:course_detail", args=[course.pk if isinstance(course, Course) else course])


def _form_page(
    request: HttpRequest,
    *,
    form: BaseForm,
    title: str,
    back: str,
    save: Callable[[], Any],
    success: Callable[[Any], str],
    message: str,
    course: Course | None = None,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except NotFound:
            raise Http404 from None
        except AppError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, message)
            return redirect(success(saved))
    context = {"form": form, "title": title, "back": back, "course": course}
    return render(request, "courses/catalogue/form.html", context, status=200)


def _confirm_page(
    request: HttpRequest, *, title: str, what: str, back: str, delete: Callable[[], Any], done: str, message: str
) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            delete()
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None
        except NotFound:
            raise Http404 from None
        except AppError as exc:
            error = exc.message
        else:
            messages.success(request, message)
            return redirect(done)
    context = {"title": title, "what": what, "back": back, "error": error}
    return render(request, "courses/catalogue/confirm_delete.html", context, status=409 if error else 200)


# --- courses ---------------------------------------------------------------------------------------


@login_required
def course_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_writer(request)
    form = CourseForm(request.POST or None, actor=actor)
    return _form_page(
        request,
        form=form,
        title="新建课程",
        back=reverse("courses:course_list"),
        save=lambda: services.course_create(actor=actor, data=dict(form.cleaned_data)),
        success=_detail_url,
        message="课程已创建。",
    )


@login_required
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    materials = list(selectors.material_list(actor=actor, course=course))
    for material in materials:
        material.price_display = format_fen(material.price_fen)  # type: ignore[attr-defined]
        material.total_display = format_fen(material.price_fen * material.quantity)  # type: ignore[attr-defined]
    can_write = selectors.may_write_course(actor, course)
    locked = bool(getattr(course, "is_locked", False))
    context: dict[str, Any] = {
        "course": course,
        "category_label": course.get_category_display(),
        "owner_label": _owner_label(course),
        "grades_label": selectors.grade_labels(course.grade_levels),
        "review_state_label": selectors.review_state_label(course),
        "chapters": selectors.chapters_with_resources(actor=actor, course=course),
        "attachments": list(selectors.file_list(actor=actor, course=course, filters={"attachments_only": True})),
        "materials": materials,
        "locked": locked,
        "can_write": can_write,
        "can_edit": can_write and not locked,
        "can_delete": can_write and not selectors.course_has_offers(course),
        "locked_message": services.LOCKED_MESSAGE,
    }
    context.update(review_panel_context(actor=actor, course=course))
    return render(request, "courses/catalogue/detail.html", context)


@login_required
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    _require_writer(request, course)
    form = CourseForm(request.POST or None, actor=actor, instance=course)
    return _form_page(
        request,
        form=form,
        title=f"编辑课程：{course}",
        back=_detail_url(course),
        save=lambda: services.course_update(actor=actor, course=course, data=dict(form.cleaned_data)),
        success=_detail_url,
        message="课程已保存。",
        course=course,
    )


@login_required
def course_delete(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    _require_writer(request, course)
    return _confirm_page(
        request,
        title="删除课程",
        what=f"课程“{course}”（连同其章节、资源、附件和辅助材料）",
        back=_detail_url(course),
        delete=lambda: services.course_delete(actor=actor, course=course),
        done=reverse("courses:course_list"),
        message=f"课程“{course}”已删除。",
    )


# --- chapters --------------------------------------------------------------------------------------


def _chapter(request: HttpRequest, course: Course, chapter_id: int) -> Chapter:
    return _run(lambda: selectors.chapter_get(actor=_actor(request), course=course, chapter_id=chapter_id))  # type: ignore[no-any-return]


@login_required
def chapter_create(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    _require_writer(request, course)
    form = ChapterForm(request.POST or None)
    return _form_page(
        request,
        form=form,
        title=f"新增章节：{course}",
        back=_detail_url(course),
        save=lambda: services.chapter_create(actor=actor, course=course, data=dict(form.cleaned_data)),
        success=lambda _: _detail_url(course),
        message="章节已添加。",
        course=course,
    )


@login_required
def chapter_edit(request: HttpRequest, course_id: int, chapter_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    chapter = _chapter(request, course, chapter_id)
    _require_writer(request, course)
    form = ChapterForm(request.POST or None, instance=chapter)
    return _form_page(
        request,
        form=form,
        title=f"编辑章节：{chapter}",
        back=_detail_url(course),
        save=lambda: services.chapter_update(actor=actor, chapter=chapter, data=dict(form.cleaned_data)),
        success=lambda _: _detail_url(course),
        message="章节已保存。",
        course=course,
    )


@login_required
def chapter_delete(request: HttpRequest, course_id: int, chapter_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    chapter = _chapter(request, course, chapter_id)
    _require_writer(request, course)
    return _confirm_page(
        request,
        title="删除章节",
        what=f"“{chapter}”及其资源（其后章节的序号前移）",
        back=_detail_url(course),
        delete=lambda: services.chapter_delete(actor=actor, chapter=chapter),
        done=_detail_url(course),
        message=f"“{chapter}”已删除。",
    )


@login_required
@require_POST
def chapter_move(request: HttpRequest, course_id: int, chapter_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    chapter = _chapter(request, course, chapter_id)
    _require_writer(request, course)
    direction = request.POST.get("direction", "")
    try:
        _run(lambda: services.chapter_move(actor=actor, chapter=chapter, direction=direction))
    except AppError as exc:
        messages.error(request, exc.message)
    return redirect(f"{_detail_url(course)}#chapters")


# --- materials -------------------------------------------------------------------------------------


@login_required
def material_create(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    _require_writer(request, course)
    form = MaterialForm(request.POST or None)
    return _form_page(
        request,
        form=form,
        title=f"新增辅助材料：{course}",
        back=_detail_url(course),
        save=lambda: services.material_create(actor=actor, course=course, data=form.service_data()),
        success=lambda _: _detail_url(course),
        message="辅助材料已添加。",
        course=course,
    )


@login_required
def material_edit(request: HttpRequest, course_id: int, material_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    material = _run(lambda: selectors.material_get(actor=actor, course=course, material_id=material_id))
    _require_writer(request, course)
    form = MaterialForm(request.POST or None, instance=material)
    return _form_page(
        request,
        form=form,
        title=f"编辑辅助材料：{material}",
        back=_detail_url(course),
        save=lambda: services.material_update(actor=actor, material=material, data=form.service_data()),
        success=lambda _: _detail_url(course),
        message="辅助材料已保存。",
        course=course,
    )


@login_required
def material_delete(request: HttpRequest, course_id: int, material_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    material = _run(lambda: selectors.material_get(actor=actor, course=course, material_id=material_id))
    _require_writer(request, course)
    return _confirm_page(
        request,
        title="删除辅助材料",
        what=f"辅助材料“{material}”",
        back=_detail_url(course),
        delete=lambda: services.material_delete(actor=actor, material=material),
        done=_detail_url(course),
        message=f"辅助材料“{material}”已删除。",
    )


# --- files -----------------------------------------------------------------------------------------


@login_required
def file_upload(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    _require_writer(request, course)
    chapters = list(selectors.chapter_list(actor=actor, course=course))
    initial = {"chapter": request.GET.get("chapter", "")}
    form = CourseFileForm(request.POST or None, request.FILES or None, chapters=chapters, initial=initial)
    return _form_page(
        request,
        form=form,
        title=f"上传文件：{course}",
        back=_detail_url(course),
        save=lambda: services.course_file_upload(
            actor=actor,
            course=course,
            upload=form.cleaned_data["file"],
            name=form.cleaned_data.get("name") or "",
            chapter=form.chosen_chapter(),
        ),
        success=lambda _: _detail_url(course),
        message="文件已上传。",
        course=course,
    )


@login_required
def file_download(request: HttpRequest, course_id: int, file_id: int) -> HttpResponseBase:
    actor = _actor(request)
    course = _course(request, course_id)
    row = _run(lambda: selectors.file_get(actor=actor, course=course, file_id=file_id))
    try:
        return download_response(row.file, filename=selectors.file_download_name(row), content_type=row.content_type)
    except OSError:
        raise Http404 from None


@login_required
def file_delete(request: HttpRequest, course_id: int, file_id: int) -> HttpResponse:
    actor = _actor(request)
    course = _course(request, course_id)
    row = _run(lambda: selectors.file_get(actor=actor, course=course, file_id=file_id))
    _require_writer(request, course)
    return _confirm_page(
        request,
        title="删除文件",
        what=f"文件“{row}”",
        back=_detail_url(course),
        delete=lambda: services.course_file_delete(actor=actor, course_file=row),
        done=_detail_url(course),
        message=f"文件“{row}”已删除。",
    )


_C = "<int:course_id>/"

urlpatterns: list[URLPattern] = [
    path("", login_required(course_crud.list_view), name="course_list"),
    path("new/", course_create, name="course_create"),
    path(_C, course_detail, name="course_detail"),
    path(f"{_C}edit/", course_edit, name="course_edit"),
    path(f"{_C}delete/", course_delete, name="course_delete"),
    path(f"{_C}chapters/new/", chapter_create, name="chapter_create"),
    path(f"{_C}chapters/<int:chapter_id>/edit/", chapter_edit, name="chapter_edit"),
    path(f"{_C}chapters/<int:chapter_id>/delete/", chapter_delete, name="chapter_delete"),
    path(f"{_C}chapters/<int:chapter_id>/move/", chapter_move, name="chapter_move"),
    path(f"{_C}materials/new/", material_create, name="material_create"),
    path(f"{_C}materials/<int:material_id>/edit/", material_edit, name="material_edit"),
    path(f"{_C}materials/<int:material_id>/delete/", material_delete, name="material_delete"),
    path(f"{_C}files/new/", file_upload, name="file_upload"),
    path(f"{_C}files/<int:file_id>/", file_download, name="file_download"),
    path(f"{_C}files/<int:file_id>/delete/", file_delete, name="file_delete"),
]
