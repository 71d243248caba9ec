"""/api/v1/schools/exports/{entity} — the xlsx export of a list, with the same filters as its list page.

The export (columns, masking, the permission for unmasked data, the audit row) is the list page's own; this
endpoint only makes it reachable with an API token, so the two can never disagree.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router

from ..views.contacts import contact_crud
from ..views.people import guardian_crud, staff_crud, student_crud
from ..views.structure import class_crud, grade_crud
from ..views.terms import term_crud
from ..views.venues import venue_crud
from .structure import ERRORS

router = Router(tags=["学校基础信息"])

EXPORTS = {
    "terms": term_crud,
    "grades": grade_crud,
    "classes": class_crud,
    "students": student_crud,
    "guardians": guardian_crud,
    "staff": staff_crud,
    "venues": venue_crud,
    "contacts": contact_crud,
}
Entity = Literal["terms", "grades", "classes", "students", "guardians", "staff", "venues", "contacts"]


@router.get(
    "/exports/{entity}",
    response={200: None, **ERRORS},
    summary="导出列表为 xlsx（查询参数与列表页相同：q 与各筛选项；unmasked=1 须 view_personal_data 权限）",
)
def export(request: HttpRequest, entity: Entity) -> HttpResponse:
    query = request.GET.copy()
    query["export"] = "xlsx"
    request.GET = query  # type: ignore[assignment]
    return EXPORTS[entity].list_view(request)
