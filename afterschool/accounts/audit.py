"""The append-only audit chains. `audit_record` is the only writer of AuditEvent.

row_hash = HMAC-SM3(audit key, prev_hash ‖ canonical JSON of the row). A row joins one of
AFTERSCHOOL_AUDIT_CHAINS chains, chosen by who acts, so one person's rows in one transaction stay in one
chain. Appends to a chain are serialised by locking its AuditChainHead row inside the caller's
transaction; with several chains, concurrent write transactions of different people do not queue
behind one lock. The head remembers the chain's last link, so a row removed from the end is detected too.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from afterschool.core.crypto import hmac_sm3

from .choices import AuditOutcome
from .models import AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from afterschool.tenancy.actor import Actor

GENESIS_HASH = "0" * 64
_HASHED_FIELDS = (
    "chain",
    "seq",
    "occurred_at",
    "user_id",
    "username",
    "role",
    "scope",
    "client_ip",
    "event",
    "object_type",
    "object_id",
    "object_repr",
    "outcome",
    "detail",
    "region_id_scope",
    "school_id_scope",
    "organization_id_scope",
)


def _canonical(values: dict[str, Any]) -> bytes:
    def default(value: Any) -> str:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
        return str(value)

    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=default).encode()


def compute_row_hash(*, prev_hash: str, values: dict[str, Any]) -> str:
    key = bytes.fromhex(settings.AFTERSCHOOL_AUDIT_KEY)
    return hmac_sm3(key, prev_hash.encode() + b"\n" + _canonical(values)).hex()


def _row_values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _HASHED_FIELDS}


def _scope_of(actor: Actor | None, obj: Any) -> dict[str, int | None]:
    """Rows are visible to the tenant the actor acts for, or else to the tenant that owns the object."""
    scope: dict[str, int | None] = {"region_id_scope": None, "school_id_scope": None, "organization_id_scope": None}
    if actor is not None and actor.membership is not None:
        membership = actor.membership
        scope["school_id_scope"] = actor.school_id
        scope["organization_id_scope"] = actor.organization_id
        scope["region_id_scope"] = actor.region_id or (
            membership.school.region_id
            if membership.school_id and membership.school is not None
            else membership.organization.region_id
            if membership.organization_id and membership.organization is not None
            else None
        )
    if obj is not None and not any(scope.values()):
        scope["school_id_scope"] = getattr(obj, "school_id", None)
        scope["organization_id_scope"] = getattr(obj, "organization_id", None)
        scope["region_id_scope"] = getattr(obj, "region_id", None)
    return scope


def audit_record(
    *,
    actor: Actor | None,
    event: str,
    obj: models.Model | None = None,
    outcome: str = AuditOutcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    username: str | None = None,
    user_id: int | None = None,
    client_ip: str | None = None,
) -> AuditEvent:
    """Append one row to the chain, inside the caller's transaction when there is one."""
    fields = (
        actor.audit_fields()
        if actor is not None
        else {"user_id": None, "username": "", "role": "", "scope": "", "client_ip": ""}
    )
    if username is not None:
        fields["username"] = username
    if user_id is not None:
        fields["user_id"] = user_id
    if client_ip is not None:
        fields["client_ip"] = client_ip
    chain = chain_for(fields)
    with transaction.atomic():
        head = _locked_head(chain)
        row = AuditEvent(
            chain=chain,
            seq=head.last_seq + 1,
            occurred_at=timezone.now(),
            event=event,
            outcome=outcome,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=str(obj)[:200] if obj is not None else "",
            detail=detail or {},
            prev_hash=head.last_hash,
            **fields,
            **_scope_of(actor, obj),
        )
        row.username = row.username[:150]
        row.row_hash = compute_row_hash(prev_hash=row.prev_hash, values=_row_values(row))
        row.save(force_insert=True)
        AuditChainHead.objects.filter(id=chain).update(last_seq=row.seq, last_hash=row.row_hash)
    return row


def chain_for(fields: dict[str, Any]) -> int:
    """The same person (or, unauthenticated, the same name and address) always writes to the same chain."""
    count = max(1, int(getattr(settings, "AFTERSCHOOL_AUDIT_CHAINS", 1)))
    if fields.get("user_id") is not None:
        return int(fields["user_id"]) % count
    key = f"{fields.get('username', '')}|{fields.get('client_ip', '')}".encode()
    return int.from_bytes(hmac_sm3(b"audit-chain", key)[:4], "big") % count


def _locked_head(chain: int) -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(id=chain).first()
    if head is None:
        # Heads are created by migration for the configured count; a larger count creates the rest here.
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(id=chain, last_seq=0, last_hash=GENESIS_HASH)
        except IntegrityError:
            pass
        head = AuditChainHead.objects.select_for_update().get(id=chain)
    return head


@dataclass
class ChainReport:
    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk every chain in order; report each row whose hash, link or sequence does not hold."""
    problems: list[str] = []
    checked = 0
    heads = {h.id: h for h in AuditChainHead.objects.all()}
    chains = sorted(set(heads) | set(AuditEvent.objects.values_list("chain", flat=True).distinct()))
    for chain in chains:
        expected_prev = GENESIS_HASH
        expected_seq = 1
        for row in AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=batch_size):
            checked += 1
            label = f"链 {chain} 的记录 #{row.seq}（ID {row.pk}）"
            if row.seq != expected_seq:
                problems.append(f"链 {chain} 中序号 {expected_seq} 至 {row.seq - 1} 的记录缺失")
            if row.prev_hash != expected_prev:
                problems.append(f"{label}的前序摘要与上一条不符（前面的记录被删除或修改）")
            if compute_row_hash(prev_hash=row.prev_hash, values=_row_values(row)) != row.row_hash:
                problems.append(f"{label}的内容与摘要不符（已被修改）")
            expected_prev = row.row_hash
            expected_seq = row.seq + 1
        head = heads.get(chain)
        if head is None:
            problems.append(f"链 {chain} 没有链头记录")
        elif head.last_seq != expected_seq - 1 or head.last_hash != expected_prev:
            problems.append(
                f"链 {chain} 的链尾与链头记录不符：链头为 #{head.last_seq}，实际最后一条为 #{expected_seq - 1}"
                "（末尾记录被删除）"
            )
    return ChainReport(checked=checked, problems=problems)
