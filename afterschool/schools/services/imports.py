"""Batch import from xlsx: `import_run` validates every row and writes all of them or none.

The design (checks, keys for re-import, accounts and initial passwords, performance) is described in
`afterschool/schools/services/importing/__init__.py` and `importing/accounts.py`.
"""

from __future__ import annotations

import base64
import io
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.services import record_write
from afterschool.core import crypto
from afterschool.core.errors import AppError, Conflict, NotFound, PermissionDenied
from afterschool.schools.selectors.imports import stash_get, stash_key
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from .importing import KINDS, Kind, RowError
from .importing.common import Context, NewAccount
from .importing.reading import ERROR_HEADER, Sheet, load_sheet, read_upload

STASH_SECONDS = 60 * 60
ERRORS_SHOWN = 500  # rows of errors returned on screen / by the API; the error copy has them all


class ImportRejected(AppError):
    """Some rows are invalid; nothing was written. detail = [{row, column, message}]; `token` fetches the copy."""

    def __init__(self, errors: list[RowError], *, token: str, total_rows: int) -> None:
        shown = [{"row": e.row, "column": e.column, "message": e.message} for e in errors[:ERRORS_SHOWN]]
        rows = len({e.row for e in errors})
        super().__init__(
            "import_invalid",
            f"共 {total_rows} 行，其中 {rows} 行有错误（{len(errors)} 处），未导入任何数据；请修改后重新上传",
            detail=shown,
            status=422,
        )
        self.errors = errors
        self.token = token
        self.total_rows = total_rows


@dataclass
class ImportResult:
    kind: str
    created: int
    updated: int
    accounts_created: int
    accounts_linked: int
    passwords_token: str | None


def kind_get(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError:
        raise NotFound("没有这种导入类型") from None


def _school_of(actor: Actor, school: School | None) -> School:
    """School admins import into their own school; a system admin names the school."""
    if actor.has_role(Role.SCHOOL_ADMIN) and actor.membership is not None and actor.membership.school is not None:
        return actor.membership.school
    if actor.is_system_admin:
        if school is None:
            raise AppError("school_required", "请指定要导入的学校")
        return school
    raise PermissionDenied("只有学校管理员可以批量导入")


@transaction.atomic
def import_run(*, actor: Actor, kind: str, file: Any, school: School | None = None) -> ImportResult:
    """Import one xlsx of `kind` into the actor's school: every row valid → all written in one transaction."""
    spec = kind_get(kind)
    target = _school_of(actor, school)
    sheet = load_sheet(read_upload(file), expected=spec.headers, required=spec.required_headers)
    ctx = Context(actor=actor, school=target)
    plan = spec.validate(ctx, sheet.rows)
    if ctx.errors:
        ctx.errors.sort(key=lambda e: (e.row, spec.headers.index(e.column) if e.column in spec.headers else 99))
        token = _stash(actor, "errors", _error_copy(sheet, ctx.errors))
        raise ImportRejected(ctx.errors, token=token, total_rows=len(sheet.rows))
    try:
        with transaction.atomic():
            counts = spec.write(ctx, plan)
    except IntegrityError:
        raise Conflict("integrity", "导入时数据被同时修改，请重新导入") from None
    record_write(
        actor=actor,
        event=AuditEventType.CREATE,
        obj=target,
        detail={
            "import": kind,
            "rows": len(sheet.rows),
            "created": counts.created,
            "updated": counts.updated,
            "accounts_created": counts.accounts_created,
            "accounts_linked": counts.accounts_linked,
        },
    )
    passwords = _stash(actor, "passwords", _passwords_xlsx(counts.new_accounts)) if counts.new_accounts else None
    return ImportResult(
        kind=kind,
        created=counts.created,
        updated=counts.updated,
        accounts_created=counts.accounts_created,
        accounts_linked=counts.accounts_linked,
        passwords_token=passwords,
    )


def import_template(*, kind: str) -> bytes:
    """The blank template: the headers on the first sheet; each column explained, with an example, on “说明”."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    spec = kind_get(kind)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = spec.label[:31]
    sheet.append(spec.headers)
    for index, column in enumerate(spec.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        sheet.column_dimensions[cell.column_letter].width = max(12, len(column.header) * 2 + 4)
        sheet.cell(row=2, column=index).number_format = "@"  # text: keeps leading zeros of numbers and IDs
    notes = workbook.create_sheet("说明")
    notes.append(["列名", "是否必填", "说明", "示例"])
    for column in spec.columns:
        notes.append([column.header, "必填" if column.required else "选填", column.help, column.example])
    notes.append([])
    notes.append(["示例行（复制到第一个工作表时请删除本说明页以外的示例）："])
    notes.append(spec.headers)
    notes.append([c.example for c in spec.columns])
    notes.append([])
    notes.append(["第一个工作表的第一行为表头，不要修改；从第二行起每行一条。不要使用公式。"])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["C"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_passwords_take(*, actor: Actor, token: str) -> bytes:
    """The initial-passwords file of the actor's own import, once: it is removed as it is handed out (audited)."""
    content = stash_get(actor=actor, purpose="passwords", token=token)
    cache.delete(stash_key(actor, "passwords", token))
    record_write(actor=actor, event=AuditEventType.EXPORT, obj=None, detail={"export": "import_initial_passwords"})
    return content


# --- the per-user stash (cache, SM4-encrypted) -----------------------------------------------------------


def _stash(actor: Actor, purpose: str, content: bytes) -> str:
    if actor.user_id is None:
        return ""
    token = secrets.token_urlsafe(16)
    sealed = crypto.encrypt_text(base64.b64encode(content).decode("ascii"), aad=f"import:{actor.user_id}")
    cache.set(stash_key(actor, purpose, token), sealed, timeout=STASH_SECONDS)
    return token


def _error_copy(sheet: Sheet, errors: list[RowError]) -> bytes:
    """The uploaded rows as read, with an added “错误” column listing each row's problems."""
    from openpyxl import Workbook

    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(f"{error.column}：{error.message}")
    headers = [str(h) if h is not None else "" for h in sheet.raw[0]]
    drop = {i for i, h in enumerate(headers) if h.strip() == ERROR_HEADER}
    width = max(len(row) for row in sheet.raw)
    workbook = Workbook(write_only=True)
    out = workbook.create_sheet("导入错误")
    for number, row in enumerate(sheet.raw, start=1):
        cells = [v for i, v in enumerate(list(row) + [None] * (width - len(row))) if i not in drop]
        extra = ERROR_HEADER if number == 1 else "；".join(by_row.get(number, []))
        out.append([*cells, extra])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _passwords_xlsx(new_accounts: list[NewAccount]) -> bytes:
    from openpyxl import Workbook

    labels: dict[str, str] = {Role.PARENT: "家长", Role.TEACHER: "教师"}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("初始密码")
    sheet.append(["用户名", "姓名", "角色", "初始密码", "说明"])
    for account in new_accounts:
        sheet.append([account.username, account.name, labels.get(account.role, account.role), account.password, ""])
    sheet.append([])
    sheet.append(["首次登录后须修改密码。本文件只能下载一次，请妥善保管并在分发后删除。"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
