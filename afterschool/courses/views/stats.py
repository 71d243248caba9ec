"""Pages: stats — the bureau's view of one organization (§5.1.2 信息查看)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from afterschool.core.errors import NotFound

from ..choices import OfferStatus
from ..selectors import stats as selectors


@login_required
def organization_overview_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        overview = selectors.organization_overview(actor=actor, organization_id=pk)
    except NotFound:
        raise Http404 from None
    offers = [(OfferStatus(status).label, n) for status, n in overview.offers_by_status.items()]
    return render(request, "courses/stats/organization.html", {"o": overview, "offers": offers})


urlpatterns: list[URLPattern] = [
    path("organizations/<int:pk>/overview/", organization_overview_view, name="organization_overview"),
]
