"""What every import kind shares: its columns, the per-import context that collects row errors, cell helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from . import reading
from .reading import CellError

T = TypeVar("T")
CHUNK = 500  # ids per IN (...) query: far below SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Column:
    header: str
    required: bool
    help: str
    example: Any


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class NewAccount:
    username: str
    name: str
    password: str
    role: str


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    accounts_created: int = 0
    accounts_linked: int = 0
    new_accounts: list[NewAccount] = field(default_factory=list)


@dataclass
class Context:
    actor: Actor
    school: School
    errors: list[RowError] = field(default_factory=list)

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=column, message=message))

    def cell(
        self,
        row: int,
        values: dict[str, Any],
        header: str,
        parse: Callable[[Any], T],
        *,
        required: bool = False,
    ) -> T | None:
        """The parsed cell, or None (blank, or invalid — then the row error is recorded)."""
        value = values.get(header)
        if reading.is_blank(value):
            if required:
                self.error(row, header, "必填项不能为空")
            return None
        try:
            return parse(value)
        except CellError as exc:
            self.error(row, header, str(exc))
            return None


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    columns: tuple[Column, ...]
    # validate(ctx, rows) -> plan (anything the writer needs); must record every problem in ctx.errors
    validate: Callable[[Context, list[tuple[int, dict[str, Any]]]], Any]
    write: Callable[[Context, Any], Counts]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def required_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.required]


def chunks(items: Sequence[T] | Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def first_seen(ctx: Context, seen: dict[Any, int], key: Any, row: int, column: str, what: str) -> bool:
    """Record a duplicate-inside-the-file error; True when `key` is new."""
    if key in seen:
        ctx.error(row, column, f"与第 {seen[key]} 行的{what}重复")
        return False
    seen[key] = row
    return True
