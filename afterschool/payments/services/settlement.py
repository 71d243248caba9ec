"""Writes of settlement (结算, §5.1.3, §5.2.4.2, §5.2.4.3).

Terms (结算约定): a school admin agrees them with an organization its school has an active partnership with (a
system admin may do so for any school); the terms of one school and organization never overlap in time. Terms
that bills were raised under keep their mode, rate, share and start (only the end date and the note change).

Bills (结算单), per period, computed from the lessons actually delivered (see selectors.settlement):
- raised (→ SUBMITTED) by the school admin (raised_by school), the org admin (raised_by organization; only the
  organization's admin: a bill is a claim for money, which no org role of the catalogue grants), or the system
  actor acting for the bank (raised_by bank — the `raise_settlement_bills` command). Terms covering the whole
  period are required; one bill per school, organization and period (an overlapping period counts) unless the
  earlier one was rejected.
- approved (→ SCHOOL_APPROVED) or rejected with a reason (→ REJECTED) by the school admin;
- reviewed (→ BUREAU_REVIEWED) or rejected with a reason by the bureau of the school's region;
- marked paid (→ PAID, paid_at) by the school admin or the system actor for the bank.
Every step locks the bill row, appends a SettlementEvent, is audited and notifies the other side. A step from the
wrong status is a 409.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.models import RoleMembership
from afterschool.accounts.services import record_write
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.services import apply_changes, delete_or_refuse, validate_and_save
from afterschool.notifications.services.inbox import notify
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.choices import PartnershipStatus
from afterschool.tenancy.models import Organization, Partnership, School

from ..choices import BillRaisedBy, BillStatus, SettlementMode
from ..models import SettlementBill, SettlementEvent, SettlementTerms
from ..selectors import settlement as selectors
from .ledger import post_settlement

TERMS_FIELDS = ("organization", "mode", "rate_fen", "share_permille", "starts_on", "ends_on", "note")
TERMS_LOCKED_ONCE_BILLED = ("organization", "mode", "rate_fen", "share_permille", "starts_on")
# NotificationKind has no settlement kind yet (asked of the lead); the column is a plain CharField.
NOTIFY_KIND = "settlement"
MAX_PERIOD_DAYS = 366
REASON_MAX = 500


# --- terms -------------------------------------------------------------------------------------------------


def require_terms_writer(actor: Actor) -> None:
    if not actor.is_system_admin and not actor.has_role(Role.SCHOOL_ADMIN):
        raise PermissionDenied("只有学校管理员可以维护结算约定")


def _school_for_write(actor: Actor, data: dict[str, Any]) -> School:
    require_terms_writer(actor)
    if actor.has_role(Role.SCHOOL_ADMIN):
        assert actor.membership is not None and actor.membership.school is not None
        return actor.membership.school
    school = data.get("school")
    if not isinstance(school, School):
        raise ValidationFailed({"school": ["请选择学校"]})
    return school


def _check_terms(terms: SettlementTerms) -> None:
    errors: dict[str, list[str]] = {}
    if terms.mode in (SettlementMode.PER_LESSON, SettlementMode.PER_STUDENT_LESSON):
        if not terms.rate_fen or terms.rate_fen <= 0:
            errors["rate_fen"] = ["按课次或按人次结算时须填写大于 0 的单价"]
        terms.share_permille = 0
    elif terms.mode == SettlementMode.FEE_SHARE:
        if not terms.share_permille or not 0 < terms.share_permille <= 1000:
            errors["share_permille"] = ["按学费分成时分成比例须在 1–1000‰ 之间"]
        terms.rate_fen = 0
    if terms.starts_on and terms.ends_on and terms.ends_on < terms.starts_on:
        errors["ends_on"] = ["结束日期不能早于开始日期"]
    if errors:
        raise ValidationFailed(errors)
    organization_id = terms.organization_id
    if organization_id is None:
        raise ValidationFailed({"organization": ["请选择机构"]})
    # Lock the partnership rows: two overlapping terms saved at once cannot both pass the check below.
    partnerships = list(
        Partnership.objects.select_for_update().filter(school_id=terms.school_id, organization_id=organization_id)
    )
    if not any(p.status == PartnershipStatus.ACTIVE for p in partnerships):
        raise ValidationFailed({"organization": ["只能与本校合作中的机构约定结算"]})
    overlapping = SettlementTerms.objects.filter(school_id=terms.school_id, organization_id=organization_id).exclude(
        pk=terms.pk
    )
    if terms.ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=terms.ends_on)
    overlapping = overlapping.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=terms.starts_on))
    clash = overlapping.first()
    if clash is not None:
        until = clash.ends_on.isoformat() if clash.ends_on else "长期"
        raise ValidationFailed({"starts_on": [f"与已有结算约定（{clash.starts_on.isoformat()} 至 {until}）时间重叠"]})


@transaction.atomic
def settlement_terms_create(*, actor: Actor, data: dict[str, Any]) -> SettlementTerms:
    terms = SettlementTerms(school=_school_for_write(actor, data))
    apply_changes(terms, data, allowed=TERMS_FIELDS)
    _check_terms(terms)
    validate_and_save(terms)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=terms)
    return terms


@transaction.atomic
def settlement_terms_update(
    *, actor: Actor, settlement_terms: SettlementTerms, data: dict[str, Any]
) -> SettlementTerms:
    require_terms_writer(actor)
    terms = selectors.settlement_terms_get(actor=actor, terms_id=settlement_terms.pk)
    diff = apply_changes(terms, data, allowed=TERMS_FIELDS)
    if set(diff) & set(TERMS_LOCKED_ONCE_BILLED) and terms.bills.exists():
        raise Conflict("terms_billed", "已按此约定出具结算单，只能修改结束日期和说明；如需调整请结束本约定并新建")
    _check_terms(terms)
    validate_and_save(terms)
    record_write(actor=actor, event=AuditEventType.UPDATE, obj=terms, detail={"changes": diff})
    return terms


@transaction.atomic
def settlement_terms_delete(*, actor: Actor, settlement_terms: SettlementTerms) -> None:
    """Refused once a bill was raised under the terms (end them instead)."""
    require_terms_writer(actor)
    terms = selectors.settlement_terms_get(actor=actor, terms_id=settlement_terms.pk)
    record_write(actor=actor, event=AuditEventType.DELETE, obj=terms)
    delete_or_refuse(terms, what="结算约定")


# --- bills -------------------------------------------------------------------------------------------------


def _school_admins(school_id: int) -> list[int]:
    return list(
        RoleMembership.objects.filter(role=Role.SCHOOL_ADMIN, school_id=school_id, is_active=True).values_list(
            "user_id", flat=True
        )
    )


def _org_admins(organization_id: int) -> list[int]:
    return list(
        RoleMembership.objects.filter(role=Role.ORG_ADMIN, organization_id=organization_id, is_active=True).values_list(
            "user_id", flat=True
        )
    )


def _bureau_admins(region_id: int) -> list[int]:
    return list(
        RoleMembership.objects.filter(role=Role.BUREAU_ADMIN, region_id=region_id, is_active=True).values_list(
            "user_id", flat=True
        )
    )


def _notify(bill: SettlementBill, recipients: list[int], title: str, body: str = "") -> None:
    notify(
        recipients=recipients,
        kind=NOTIFY_KIND,
        title=title,
        body=body,
        link=reverse("payments:bill_detail", args=[bill.pk]),
        data={"bill_id": bill.pk, "bill_no": bill.bill_no, "status": bill.status},
    )


def _event(bill: SettlementBill, *, actor: Actor, action: str, from_status: str, comment: str = "") -> None:
    SettlementEvent.objects.create(
        bill=bill,
        action=action,
        from_status=from_status,
        to_status=bill.status,
        comment=comment[:REASON_MAX],
        actor=actor.user,
        actor_role=actor.role or ("bank" if actor.via == "system" else ""),
    )


def _new_bill_no() -> str:
    return f"JS{timezone.localtime():%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"


def _raiser(actor: Actor, school: School, organization: Organization) -> str:
    if actor.has_role(Role.SCHOOL_ADMIN):
        if actor.school_id != school.pk:
            raise NotFound()
        return BillRaisedBy.SCHOOL
    if actor.has_role(Role.ORG_ADMIN):
        if actor.organization_id != organization.pk:
            raise NotFound()
        return BillRaisedBy.ORGANIZATION
    if actor.is_system_admin:
        return BillRaisedBy.BANK
    raise PermissionDenied("只有学校管理员、机构管理员或银行（系统）可以发起结算")


@transaction.atomic
def bill_raise(
    *,
    actor: Actor,
    school: School,
    organization: Organization,
    period_start: dt.date,
    period_end: dt.date,
    now: dt.datetime | None = None,
) -> SettlementBill:
    """Compute and submit the bill of a school and an organization for a period (see the module docstring)."""
    raised_by = _raiser(actor, school, organization)
    if period_end < period_start:
        raise ValidationFailed({"period_end": ["结束日期不能早于开始日期"]})
    if (period_end - period_start).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed({"period_end": ["结算期最长一年"]})
    today = timezone.localdate(now) if now else timezone.localdate()
    if period_end >= today:
        raise ValidationFailed({"period_end": ["结算期须已结束（结束日期须早于今天）"]})
    # Lock the terms: two raises of the same period serialize here and the second sees the first bill.
    terms = (
        selectors.terms_covering(school=school, organization=organization, start=period_start, end=period_end)
        .select_for_update()
        .first()
    )
    if terms is None:
        raise ValidationFailed({"period_start": ["该结算期没有（完整覆盖的）结算约定，请学校先约定结算方式"]})
    clash = (
        SettlementBill.objects.filter(
            school=school, organization=organization, period_start__lte=period_end, period_end__gte=period_start
        )
        .exclude(status=BillStatus.REJECTED)
        .first()
    )
    if clash is not None:
        raise Conflict(
            "bill_exists",
            f"该结算期已有结算单 {clash.bill_no}（{clash.get_status_display()}），被退回后才能重新发起",
            detail={"bill_id": clash.pk},
        )
    figures = selectors.bill_figures(
        school=school, organization=organization, terms=terms, period_start=period_start, period_end=period_end,
        now=now,
    )  # fmt: skip
    bill = SettlementBill.objects.create(
        bill_no=_new_bill_no(),
        school=school,
        organization=organization,
        terms=terms,
        period_start=period_start,
        period_end=period_end,
        lessons_delivered=figures.lessons_delivered,
        student_lessons=figures.student_lessons,
        fees_net_fen=figures.fees_net_fen,
        amount_fen=figures.amount_fen,
        details=figures.details,
        status=BillStatus.SUBMITTED,
        raised_by=raised_by,
        created_by=actor.user,
    )
    _event(bill, actor=actor, action="submit", from_status="")
    record_write(
        actor=actor,
        event=AuditEventType.CREATE,
        obj=bill,
        detail={"raised_by": raised_by, "amount_fen": bill.amount_fen, "period": [str(period_start), str(period_end)]},
    )
    recipients: list[int] = {
        str(BillRaisedBy.SCHOOL): _org_admins(organization.pk),
        str(BillRaisedBy.ORGANIZATION): _school_admins(school.pk),
        str(BillRaisedBy.BANK): _school_admins(school.pk) + _org_admins(organization.pk),
    }[raised_by]
    _notify(
        bill,
        recipients,
        f"结算单 {bill.bill_no} 已提交",
        f"{school.name} ↔ {organization.name} {period_start}—{period_end}",
    )
    return bill


def _locked(actor: Actor, bill: SettlementBill) -> SettlementBill:
    """The bill row, locked, if the actor may see it (404 otherwise)."""
    selectors.bill_get(actor=actor, bill_id=bill.pk)
    return SettlementBill.objects.select_for_update().select_related("school", "organization").get(pk=bill.pk)


def _expect(bill: SettlementBill, *statuses: str) -> None:
    if bill.status not in statuses:
        wanted = "、".join(str(BillStatus(s).label) for s in statuses)
        raise Conflict("bad_status", f"结算单当前为“{bill.get_status_display()}”，只有“{wanted}”的结算单可以这样操作")


def _is_school_admin_of(actor: Actor, bill: SettlementBill) -> bool:
    return actor.is_system_admin or (actor.has_role(Role.SCHOOL_ADMIN) and actor.school_id == bill.school_id)


def _is_bureau_of(actor: Actor, bill: SettlementBill) -> bool:
    # Scoping already limits a bureau admin to its region; reaching here means the bill is within it.
    return actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)


def _transition(
    bill: SettlementBill, *, actor: Actor, action: str, to: str, comment: str, **extra: Any
) -> tuple[SettlementBill, str]:
    from_status = bill.status
    bill.status = to
    for key, value in extra.items():
        setattr(bill, key, value)
    bill.save(update_fields=["status", "updated_at", *extra.keys()])
    _event(bill, actor=actor, action=action, from_status=from_status, comment=comment)
    record_write(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=bill,
        detail={"action": action, "from": from_status, "to": to, "comment": comment[:REASON_MAX]},
    )
    return bill, from_status


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["请填写退回原因"]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": [f"原因最多 {REASON_MAX} 字"]})
    return reason


@transaction.atomic
def bill_approve(*, actor: Actor, bill: SettlementBill, comment: str = "") -> SettlementBill:
    bill = _locked(actor, bill)
    if not _is_school_admin_of(actor, bill):
        raise PermissionDenied("只有学校管理员可以确认结算单")
    _expect(bill, BillStatus.SUBMITTED)
    bill, _ = _transition(bill, actor=actor, action="school_approve", to=BillStatus.SCHOOL_APPROVED, comment=comment)
    _notify(
        bill,
        _org_admins(bill.organization_id) + _bureau_admins(bill.school.region_id),
        f"结算单 {bill.bill_no} 学校已确认",
        "请教育局复核" if comment == "" else comment,
    )
    return bill


@transaction.atomic
def bill_reject(*, actor: Actor, bill: SettlementBill, reason: str) -> SettlementBill:
    """The school rejects a submitted bill; the bureau rejects one the school approved. A reason is required."""
    reason = _reason(reason)
    bill = _locked(actor, bill)
    if actor.has_role(Role.SCHOOL_ADMIN) and _is_school_admin_of(actor, bill):
        _expect(bill, BillStatus.SUBMITTED)
        recipients = _org_admins(bill.organization_id)
    elif actor.has_role(Role.BUREAU_ADMIN) or actor.is_system_admin:
        _expect(bill, BillStatus.SCHOOL_APPROVED, *([BillStatus.SUBMITTED] if actor.is_system_admin else []))
        recipients = _org_admins(bill.organization_id) + _school_admins(bill.school_id)
    else:
        raise PermissionDenied("只有学校管理员或教育局可以退回结算单")
    bill, _ = _transition(bill, actor=actor, action="reject", to=BillStatus.REJECTED, comment=reason)
    _notify(bill, recipients, f"结算单 {bill.bill_no} 被退回", reason)
    return bill


@transaction.atomic
def bill_review(*, actor: Actor, bill: SettlementBill, comment: str = "") -> SettlementBill:
    bill = _locked(actor, bill)
    if not actor.has_role(Role.BUREAU_ADMIN) and not actor.is_system_admin:
        raise PermissionDenied("只有教育局可以复核结算单")
    _expect(bill, BillStatus.SCHOOL_APPROVED)
    bill, _ = _transition(bill, actor=actor, action="bureau_review", to=BillStatus.BUREAU_REVIEWED, comment=comment)
    _notify(
        bill,
        _school_admins(bill.school_id) + _org_admins(bill.organization_id),
        f"结算单 {bill.bill_no} 教育局已复核",
        comment,
    )
    return bill


@transaction.atomic
def bill_pay(*, actor: Actor, bill: SettlementBill, comment: str = "") -> SettlementBill:
    bill = _locked(actor, bill)
    if not _is_school_admin_of(actor, bill):
        raise PermissionDenied("只有学校管理员或银行（系统）可以登记支付")
    _expect(bill, BillStatus.BUREAU_REVIEWED)
    bill, _ = _transition(bill, actor=actor, action="pay", to=BillStatus.PAID, comment=comment, paid_at=timezone.now())
    post_settlement(bill)
    _notify(bill, _org_admins(bill.organization_id), f"结算单 {bill.bill_no} 已支付", comment)
    return bill


def raise_due_bills(*, actor: Actor, period_start: dt.date, period_end: dt.date) -> dict[str, list[str]]:
    """For the bank side: raise the bill of every school and organization with terms covering the period (each in
    its own transaction). Returns {"raised": [bill_no], "skipped": [reason]}."""
    from ..models import SettlementTerms as Terms

    result: dict[str, list[str]] = {"raised": [], "skipped": []}
    pairs = (
        Terms.objects.filter(starts_on__lte=period_start)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period_end))
        .select_related("school", "organization")
        .order_by("school_id", "organization_id")
    )
    for terms in pairs:
        try:
            bill = bill_raise(
                actor=actor,
                school=terms.school,
                organization=terms.organization,
                period_start=period_start,
                period_end=period_end,
            )
        except (Conflict, ValidationFailed, PermissionDenied, NotFound) as exc:
            why = exc.message
            if isinstance(exc, ValidationFailed) and isinstance(exc.detail, dict):
                why = "；".join(str(m) for messages in exc.detail.values() for m in messages)
            result["skipped"].append(f"{terms.school} ↔ {terms.organization}：{why}")
        else:
            result["raised"].append(bill.bill_no)
    return result
