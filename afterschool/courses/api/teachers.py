"""/api/v1/courses/ — organization teachers, their certificates and the bureau's summary. Thin: parse, call, return.

Personal data leaves only masked; the full value only through POST …/reveal (permission `view_personal_data`,
never for a school; audited). Certificates are uploaded as multipart and downloaded through a scoped endpoint.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from afterschool.core.api import ERRORS, ErrorOut, Paged, PageParams, actor_of, paged
from afterschool.core.errors import ValidationFailed
from afterschool.core.export import xlsx_response
from afterschool.tenancy.models import Organization
from afterschool.tenancy.scoping import scoped

from ..schemas.teachers import (
    CertificateOut,
    OrgTeacherRevealIn,
    OrgTeacherRevealOut,
    SummaryFilters,
    SummaryOut,
    TeacherCreated,
    TeacherFilters,
    TeacherIn,
    TeacherOut,
    TeacherPatch,
)
from ..selectors import teachers as selectors
from ..services import teachers as services

router = Router(tags=["课程与师资"])


def _with_organization(actor: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """`organization_id` counts only for a system admin; an organization always writes its own teachers."""
    organization_id = payload.pop("organization_id", None)
    if actor.is_system_admin and organization_id is not None:
        organization = scoped(Organization.objects.all(), actor).filter(pk=organization_id).first()
        if organization is None:
            raise ValidationFailed({"organization_id": ["机构不存在"]})
        payload["organization"] = organization
    return payload


@router.get("/teachers", response={200: Paged[TeacherOut], **ERRORS}, summary="机构教师列表")
def teacher_list(request: HttpRequest, filters: Query[TeacherFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.teacher_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/teachers/export", response={200: None, **ERRORS}, summary="导出机构教师（xlsx，个人信息脱敏）")
def teacher_export(request: HttpRequest, filters: Query[TeacherFilters]) -> HttpResponse:
    content = services.teacher_export(actor=actor_of(request), filters=filters.dict())
    return xlsx_response(filename="机构教师.xlsx", content=content)


@router.get("/teachers/summary", response={200: Paged[SummaryOut], **ERRORS}, summary="各机构师资汇总（教育局）")
def teacher_summary(request: HttpRequest, filters: Query[SummaryFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.teacher_summary(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/teachers/summary/export", response={200: None, **ERRORS}, summary="导出各机构师资汇总（xlsx）")
def teacher_summary_export(request: HttpRequest, filters: Query[SummaryFilters]) -> HttpResponse:
    content = services.teacher_summary_export(actor=actor_of(request), filters=filters.dict())
    return xlsx_response(filename="机构师资汇总.xlsx", content=content)


@router.post("/teachers", response={201: TeacherCreated, **ERRORS}, summary="新增机构教师")
def teacher_create(request: HttpRequest, payload: TeacherIn) -> Any:
    actor = actor_of(request)
    teacher, initial = services.teacher_create(actor=actor, data=_with_organization(actor, payload.dict()))
    teacher.initial_password = initial  # type: ignore[attr-defined]
    return Status(201, teacher)


@router.get("/teachers/{teacher_id}", response={200: TeacherOut, **ERRORS}, summary="机构教师详情")
def teacher_detail(request: HttpRequest, teacher_id: int) -> Any:
    return selectors.teacher_get(actor=actor_of(request), teacher_id=teacher_id)


@router.patch("/teachers/{teacher_id}", response={200: TeacherOut, **ERRORS}, summary="修改机构教师")
def teacher_update(request: HttpRequest, teacher_id: int, payload: TeacherPatch) -> Any:
    actor = actor_of(request)
    teacher = selectors.teacher_get(actor=actor, teacher_id=teacher_id)
    return services.teacher_update(actor=actor, teacher=teacher, data=payload.dict(exclude_unset=True))


@router.delete("/teachers/{teacher_id}", response={204: None, **ERRORS}, summary="删除机构教师（已有外派则须停用）")
def teacher_delete(request: HttpRequest, teacher_id: int) -> Any:
    actor = actor_of(request)
    services.teacher_delete(actor=actor, teacher=selectors.teacher_get(actor=actor, teacher_id=teacher_id))
    return Status(204, None)


@router.post(
    "/teachers/{teacher_id}/reveal", response={200: OrgTeacherRevealOut, **ERRORS}, summary="查看完整手机号或身份证号"
)
def teacher_reveal(request: HttpRequest, teacher_id: int, payload: OrgTeacherRevealIn) -> Any:
    actor = actor_of(request)
    teacher = selectors.teacher_get(actor=actor, teacher_id=teacher_id)
    return {"field": payload.field, "value": services.teacher_reveal(actor=actor, teacher=teacher, field=payload.field)}


@router.get(
    "/teachers/{teacher_id}/certificates", response={200: list[CertificateOut], **ERRORS}, summary="教师证书列表"
)
def certificate_list(request: HttpRequest, teacher_id: int) -> Any:
    actor = actor_of(request)
    return list(
        selectors.certificate_list(actor=actor, teacher=selectors.teacher_get(actor=actor, teacher_id=teacher_id))
    )


@router.post(
    "/teachers/{teacher_id}/certificates",
    response={201: CertificateOut, 413: ErrorOut, **ERRORS},
    summary="上传教师证书（PDF、JPG、PNG）",
)
def certificate_upload(request: HttpRequest, teacher_id: int, name: Form[str], file: File[UploadedFile]) -> Any:
    actor = actor_of(request)
    teacher = selectors.teacher_get(actor=actor, teacher_id=teacher_id)
    return Status(201, services.certificate_upload(actor=actor, teacher=teacher, name=name, upload=file))


@router.get(
    "/teachers/{teacher_id}/certificates/{certificate_id}/file",
    response={200: None, **ERRORS},
    summary="下载教师证书",
)
def certificate_download(request: HttpRequest, teacher_id: int, certificate_id: int) -> Any:
    from afterschool.core.media import download_response

    certificate = selectors.certificate_get(
        actor=actor_of(request), certificate_id=certificate_id, teacher_id=teacher_id
    )
    extension = certificate.file.name.rsplit(".", 1)[-1]
    return download_response(
        certificate.file, filename=f"{certificate.name}.{extension}", content_type=certificate.content_type
    )


@router.delete(
    "/teachers/{teacher_id}/certificates/{certificate_id}", response={204: None, **ERRORS}, summary="删除教师证书"
)
def certificate_delete(request: HttpRequest, teacher_id: int, certificate_id: int) -> Any:
    actor = actor_of(request)
    certificate = selectors.certificate_get(actor=actor, certificate_id=certificate_id, teacher_id=teacher_id)
    services.certificate_delete(actor=actor, certificate=certificate)
    return Status(204, None)
