"""/api/v1/schools/overview — the bureau's read-only view of its schools (§5.1.1)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from afterschool.core.api import ErrorOut, Paged, PageParams, actor_of, paged

from ..schemas.overview import OverviewFilters, SchoolInformationOut, SchoolOverviewOut
from ..selectors import overview as selectors

router = Router(tags=["学校基础信息"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get("/overview", response={200: Paged[SchoolOverviewOut], **ERRORS}, summary="学校概况列表（教育局）")
def overview_list(request: HttpRequest, filters: Query[OverviewFilters], paging: Query[PageParams]) -> Any:
    return paged(selectors.school_overview_list(actor=actor_of(request), filters=filters.dict()), paging)


@router.get("/overview/{school_id}", response={200: SchoolInformationOut, **ERRORS}, summary="学校基础信息（只读）")
def overview_school(request: HttpRequest, school_id: int) -> Any:
    info = selectors.school_overview_get(actor=actor_of(request), school_id=school_id)
    school = info.school
    term = info.term
    return {
        "id": school.pk,
        "code": school.code,
        "name": school.name,
        "region_id": school.region_id,
        "region_name": school.region.name,
        "school_type": school.school_type,
        "nature": school.nature,
        "address": school.address,
        "contact_phone": school.contact_phone,
        "is_active": school.is_active,
        "staff_count": info.staff_count,
        "student_count": info.student_count,
        "grades": info.grades,
        "venues": info.venues,
        "emergency_contacts": info.emergency_contacts,
        "term": None
        if term is None
        else {
            "id": term.pk,
            "name": str(term),
            "academic_year": term.academic_year,
            "term_number": term.term_number,
            "starts_on": term.starts_on,
            "ends_on": term.ends_on,
        },
        "registration_windows": info.registration_windows,
    }
