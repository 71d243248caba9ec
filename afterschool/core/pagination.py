"""One paging convention for pages and the API: ?page=N&page_size=M (max 200), 1-based."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import QuerySet

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200


@dataclass
class PageResult(Generic[T]):
    items: list[T]
    count: int
    page: int
    page_size: int
    num_pages: int

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def clamp_page_size(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE
    return max(1, min(size, MAX_PAGE_SIZE))


def paginate(queryset: QuerySet[Any], *, page: Any = 1, page_size: Any = DEFAULT_PAGE_SIZE) -> PageResult[Any]:
    """Out-of-range or malformed page numbers fall back to the nearest real page, never an error."""
    size = clamp_page_size(page_size)
    paginator = Paginator(queryset, size)
    try:
        page_obj = paginator.page(page)
    except PageNotAnInteger:
        page_obj = paginator.page(1)
    except EmptyPage:
        past_the_end = str(page).lstrip("-").isdigit() and int(page) > 1
        page_obj = paginator.page(paginator.num_pages if past_the_end else 1)
    return PageResult(
        items=list(page_obj.object_list),
        count=paginator.count,
        page=page_obj.number,
        page_size=size,
        num_pages=paginator.num_pages,
    )
