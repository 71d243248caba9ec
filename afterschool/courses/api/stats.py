"""/api/v1/courses/ — stats: the bureau's view of one organization."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from afterschool.core.api import ErrorOut, actor_of

from ..schemas.stats import OrganizationOverviewOut
from ..selectors import stats as selectors

router = Router(tags=["课程与师资"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get(
    "/organizations/{organization_id}/overview",
    response={200: OrganizationOverviewOut, **ERRORS},
    summary="机构概况（合作、课程、资源、师资、各校情况）",
)
def organization_overview(request: HttpRequest, organization_id: int) -> Any:
    if not 1 <= organization_id <= 2**62:
        from afterschool.core.errors import NotFound

        raise NotFound()
    o = selectors.organization_overview(actor=actor_of(request), organization_id=organization_id)
    return {
        "organization_id": o.organization.pk,
        "organization_name": o.organization.name,
        "status": o.organization.status,
        "partnerships": [
            {
                "id": p.pk,
                "school_id": p.school_id,
                "school_name": p.school.name,
                "starts_on": p.starts_on,
                "ends_on": p.ends_on,
                "status": p.status,
                "end_reason": p.end_reason,
            }
            for p in o.partnerships
        ],
        "courses": o.courses,
        "offers_by_status": o.offers_by_status,
        "files": o.files,
        "teachers": o.teachers,
        "schools": [
            {
                "school_id": r.school.pk,
                "school_name": r.school.name,
                "partnership_status": r.partnership_status,
                "approved_courses": r.approved_courses,
                "dispatched_teachers": r.dispatched_teachers,
                "sections": r.sections,
                "students": r.students,
            }
            for r in o.schools
        ],
        "note": o.note,
    }
