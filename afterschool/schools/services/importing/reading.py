"""Reading an uploaded xlsx: the file checks (size, zip signature, openpyxl, formulas, headers) and cell parsing.

Everything here is pure (no database): it turns bytes into header-checked rows of raw values, or raises
`ImportFileError` with a message the school can act on.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from afterschool.core.errors import AppError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ZIP_SIGNATURE = b"PK\x03\x04"
ERROR_HEADER = "错误"  # the column added to the error copy; ignored when that copy is uploaded again


class ImportFileError(AppError):
    """The file as a whole cannot be imported (not xlsx, empty, wrong headers, formulas, too large)."""

    def __init__(self, message: str, *, code: str = "import_file", detail: Any = None, status: int = 400) -> None:
        super().__init__(code, message, detail=detail, status=status)


def max_bytes() -> int:
    return int(getattr(settings, "AFTERSCHOOL_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass
class Sheet:
    headers: list[str]  # as found in the file (stripped)
    rows: list[tuple[int, dict[str, Any]]]  # (row number in the sheet, {header: raw value})
    raw: list[list[Any]]  # header row + data rows as read, for the error copy


def read_upload(file: Any) -> bytes:
    """The uploaded bytes, refusing an empty or too large file before reading it all."""
    limit = max_bytes()
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit)
    data = file.read(limit + 1) if hasattr(file, "read") else bytes(file)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise ImportFileError("文件为空，请使用模板填写后再上传", code="import_empty")
    return bytes(data)


def _too_large(limit: int) -> ImportFileError:
    return ImportFileError(
        f"文件超过大小上限（{limit / 1024 / 1024:.0f} MB），请拆分后分批导入", code="import_too_large", status=413
    )


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def load_sheet(data: bytes, *, expected: Sequence[str], required: Sequence[str]) -> Sheet:
    """The first worksheet's header-checked rows; blank rows are skipped."""
    if not data.startswith(ZIP_SIGNATURE) or not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportFileError("文件不是 Excel（.xlsx）格式，请使用下载的模板", code="import_not_xlsx")
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        worksheet = workbook.worksheets[0]
        raw = [list(row) for row in worksheet.iter_rows(values_only=True)]
        workbook.close()
    except Exception:  # noqa: BLE001 — openpyxl raises many kinds (KeyError, BadZipFile, InvalidFileException, ValueError …)
        raise ImportFileError("无法读取该 Excel 文件，请另存为 .xlsx 后重试", code="import_not_xlsx") from None
    while raw and all(_blank(v) for v in raw[-1]):
        raw.pop()
    if not raw:
        raise ImportFileError("文件为空，请使用模板填写后再上传", code="import_empty")
    formulas = [
        f"{_column_letter(c)}{r + 1}"
        for r, row in enumerate(raw)
        for c, value in enumerate(row)
        if isinstance(value, str) and value.startswith("=")
    ]
    if formulas:
        shown = "、".join(formulas[:10]) + (" 等" if len(formulas) > 10 else "")
        raise ImportFileError(
            f"文件含有公式（{shown}），请复制后“粘贴为数值”再上传", code="import_formula", detail={"cells": formulas}
        )
    headers = [_text(v) for v in raw[0]]
    while headers and not headers[-1]:
        headers.pop()
    known = set(expected) | {ERROR_HEADER}
    unknown = [h for h in headers if h and h not in known]
    missing = [h for h in required if h not in headers]
    duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
    if unknown or missing or duplicated:
        parts = []
        if missing:
            parts.append("缺少列：" + "、".join(missing))
        if unknown:
            parts.append("无法识别的列：" + "、".join(unknown))
        if duplicated:
            parts.append("重复的列：" + "、".join(duplicated))
        raise ImportFileError(
            "表头与模板不一致（" + "；".join(parts) + "），请使用下载的模板",
            code="import_headers",
            detail={"missing": missing, "unknown": unknown, "duplicated": duplicated},
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(raw[1:], start=2):
        if all(_blank(v) for v in values):
            continue
        rows.append(
            (number, {h: values[i] if i < len(values) else None for i, h in enumerate(headers) if h in expected})
        )
    if not rows:
        raise ImportFileError("文件中没有数据行（第一行为表头，从第二行起每行一条）", code="import_empty")
    return Sheet(headers=headers, rows=rows, raw=raw)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    return str(value).strip()


# --- cell parsing: each returns the value or raises CellError with a Chinese message -----------------------


class CellError(ValueError):
    pass


def text(value: Any, *, max_length: int) -> str:
    result = _text(value).replace("\u3000", " ").strip()
    if len(result) > max_length:
        raise CellError(f"不能超过 {max_length} 个字")
    if "\x00" in result:
        raise CellError("含有非法字符")
    return result


_DATE_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE_RE.fullmatch(_text(value))
    if not match:
        raise CellError("日期格式不正确（应为日期单元格或 YYYY-MM-DD）")
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CellError("日期不存在") from None


_TIME_RE = re.compile(r"(\d{1,2})[:：](\d{2})(?::(\d{2}))?")


def time(value: Any) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, float) and 0 <= value < 1:  # a time typed as a fraction of a day
        minutes = round(value * 24 * 60)
        return dt.time(minutes // 60, minutes % 60)
    match = _TIME_RE.fullmatch(_text(value))
    if not match:
        raise CellError("时间格式不正确（应为时间单元格或 HH:MM）")
    try:
        return dt.time(int(match.group(1)), int(match.group(2)))
    except ValueError:
        raise CellError("时间不存在") from None


def positive_int(value: Any, *, maximum: int = 100_000) -> int:
    if isinstance(value, bool):
        raise CellError("应为正整数")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raw = _text(value)
        if not raw.isdigit():
            raise CellError("应为正整数")
        number = int(raw)
    if not 1 <= number <= maximum:
        raise CellError(f"应在 1 到 {maximum} 之间")
    return number


def choice(value: Any, *, options: dict[str, Any], what: str) -> Any:
    key = _text(value)
    if key in options:
        return options[key]
    labels = "、".join(dict.fromkeys(k for k in options if not k.isascii()))
    raise CellError(f"{what}“{key}”无法识别，可填：{labels}")


def is_blank(value: Any) -> bool:
    return _blank(value)
