"""API schemas: batch import."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    created: int
    updated: int
    errors: list[RowErrorOut]
    accounts_created: int = 0
    accounts_linked: int = 0
    passwords_token: str | None = None  # GET /imports/passwords/{token} once: the new accounts' initial passwords


class ImportRejectedOut(Schema):
    """422: rows refused (detail and errors list the row errors) — or, like every API, a request that did not
    validate (then detail is the usual [{loc, msg, type}] and errors is empty)."""

    code: str
    message: str
    detail: Any
    created: int = 0
    updated: int = 0
    errors: list[RowErrorOut] = []
    error_file_token: str = ""  # GET /imports/errors/{token}: the upload with an added “错误” column
