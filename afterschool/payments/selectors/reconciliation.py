"""Reads of reconciliation: bank statements (system admins only) and their items (a school its own, the bureau its
region's, the platform everything)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from afterschool.accounts.choices import Role
from afterschool.payments.choices import ReconciliationKind
from afterschool.payments.models import BankStatement, ReconciliationItem
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.scoping import get_scoped_or_404, scoped

ITEM_READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)


def _with_counts(queryset: QuerySet[BankStatement]) -> QuerySet[BankStatement]:
    return queryset.annotate(
        **{f"n_{kind.value}": Count("items", filter=Q(items__kind=kind.value)) for kind in ReconciliationKind}
    )


def statement_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[BankStatement]:
    filters = filters or {}
    queryset = scoped(BankStatement.objects.select_related("imported_by"), actor)
    if filters.get("date_from"):
        queryset = queryset.filter(statement_date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(statement_date__lte=filters["date_to"])
    if filters.get("gateway"):
        queryset = queryset.filter(gateway=filters["gateway"])
    return _with_counts(queryset).order_by("-statement_date", "-id")


def statement_get(*, actor: Actor, statement_id: int) -> BankStatement:
    return get_scoped_or_404(_with_counts(BankStatement.objects.select_related("imported_by")), actor, pk=statement_id)


def item_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[ReconciliationItem]:
    """Items the actor may see, filtered by statement, school, kind, transaction type, dates and q (单号/流水号)."""
    filters = filters or {}
    if not actor.is_system_admin and not actor.has_role(*ITEM_READERS):
        return ReconciliationItem.objects.none()
    queryset = scoped(ReconciliationItem.objects.select_related("statement", "school", "order", "refund"), actor)
    if filters.get("statement"):
        queryset = queryset.filter(statement_id=filters["statement"])
    if filters.get("school"):
        queryset = queryset.filter(school_id=filters["school"])
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("txn_type"):
        queryset = queryset.filter(txn_type=filters["txn_type"])
    if filters.get("date_from"):
        queryset = queryset.filter(statement__statement_date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(statement__statement_date__lte=filters["date_to"])
    if q := (filters.get("q") or "").strip():
        queryset = queryset.filter(Q(reference__icontains=q) | Q(bank_txn_id__icontains=q))
    return queryset.order_by("-statement__statement_date", "kind", "reference", "pk")


def item_get(*, actor: Actor, item_id: int) -> ReconciliationItem:
    return get_scoped_or_404(item_list(actor=actor), actor, pk=item_id)


def schools_for_filter(*, actor: Actor) -> QuerySet[Any]:
    """The schools an actor may filter by (the bureau's region's; a school admin's own)."""
    from afterschool.tenancy.models import School

    return scoped(School.objects.all(), actor).order_by("name")
