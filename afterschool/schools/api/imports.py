"""/api/v1/schools/imports — batch import from xlsx (multipart upload), templates, and the files kept afterwards."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Status
from ninja.files import UploadedFile

from afterschool.core.api import ErrorOut, actor_of
from afterschool.core.export import xlsx_response
from afterschool.schools.schemas.imports import ImportOut, ImportRejectedOut
from afterschool.schools.selectors import imports as selectors
from afterschool.schools.services import imports as services

router = Router(tags=["学校基础信息"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut}


@router.get("/imports/{kind}/template", response={200: None, **ERRORS}, summary="下载导入模板")
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    services.kind_get(kind)
    return xlsx_response(filename=f"{kind}-template.xlsx", content=services.import_template(kind=kind))


@router.post(
    "/imports/{kind}",
    response={200: ImportOut, 422: ImportRejectedOut, **ERRORS},
    summary="批量导入（xlsx，全部行正确才写入）",
)
def import_run(request: HttpRequest, kind: str, file: File[UploadedFile]) -> Any:
    try:
        result = services.import_run(actor=actor_of(request), kind=kind, file=file)
    except services.ImportRejected as exc:
        return Status(
            422,
            {
                "code": exc.code,
                "message": exc.message,
                "detail": exc.detail,
                "errors": exc.detail,
                "error_file_token": exc.token,
            },
        )
    return {
        "created": result.created,
        "updated": result.updated,
        "errors": [],
        "accounts_created": result.accounts_created,
        "accounts_linked": result.accounts_linked,
        "passwords_token": result.passwords_token,
    }


@router.get("/imports/errors/{token}", response={200: None, **ERRORS}, summary="下载标注了错误的导入文件")
def import_error_file(request: HttpRequest, token: str) -> HttpResponse:
    content = selectors.import_error_file_get(actor=actor_of(request), token=token)
    return xlsx_response(filename="import-errors.xlsx", content=content)


@router.get("/imports/passwords/{token}", response={200: None, **ERRORS}, summary="下载新账号的初始密码（仅一次）")
def import_passwords(request: HttpRequest, token: str) -> HttpResponse:
    response = xlsx_response(
        filename="initial-passwords.xlsx", content=services.import_passwords_take(actor=actor_of(request), token=token)
    )
    response["Cache-Control"] = "no-store"
    return response
