"""Accounts for imported guardians (parent) and staff (teacher), made in bulk.

Rules are those of `accounts.services.user_create` / `membership_grant`: a school admin may grant teacher, parent
and student roles in its own school only (`GRANTABLE_ROLES`); the username is the mobile number (login by mobile);
a person already known by that mobile (`User.mobile_index`) is linked and given the role, never duplicated.

Initial passwords: each new account gets its own random 16-character password (≈ 95 bits; `generate_initial_password`)
and `must_change_password=True`, so the first login forces a new one. Hashing 10,000 of them at the 600,000
PBKDF2-SM3 iterations used for chosen passwords would take well over an hour, so they are hashed with the same
`pbkdf2_sm3` algorithm at `INITIAL_PASSWORD_ITERATIONS`. Key stretching exists to slow guessing of *low-entropy,
human-chosen* passwords; against a uniformly random 95-bit secret, even a single HMAC-SM3 per guess leaves an
offline search far out of reach, so this gives up nothing that matters. Django's `check_password` sees the lower
iteration count in the stored hash (`must_update`) and rehashes at the full count on the first successful login,
which then forces the change anyway. No password is shared between accounts and none is derivable from the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.hashers import PBKDF2SM3PasswordHasher
from afterschool.accounts.models import MOBILE_INDEX_PURPOSE, RoleMembership, User
from afterschool.accounts.services import GRANTABLE_ROLES, generate_initial_password, record_write
from afterschool.core import crypto
from afterschool.core.errors import PermissionDenied

from .common import Context, Counts, NewAccount, chunks

INITIAL_PASSWORD_ITERATIONS = 100
INITIAL_PASSWORD_LENGTH = 16


@dataclass
class Person:
    mobile: str
    name: str
    user_id: int | None  # the account already linked to the record, if any


def user_index(mobile: str) -> str:
    return crypto.blind_index(mobile, purpose=MOBILE_INDEX_PURPOSE)


def assert_can_grant(ctx: Context, role: str) -> None:
    if ctx.actor.is_system_admin:
        return
    if role not in GRANTABLE_ROLES.get(ctx.actor.role or "", set()) or ctx.actor.school_id != ctx.school.pk:
        raise PermissionDenied(f"无权授予角色“{Role(role).label}”")


def username_conflicts(mobiles: Sequence[str]) -> set[str]:
    """Mobiles that cannot become a username: another account (with another or no mobile) already uses it."""
    taken: dict[str, str | None] = {}
    for batch in chunks(sorted(set(mobiles))):
        taken.update(User.objects.filter(username__in=batch).values_list("username", "mobile_index"))
    return {mobile for mobile, index in taken.items() if index != user_index(mobile)}


def _initial_password_hash(password: str) -> str:
    hasher = PBKDF2SM3PasswordHasher()
    return hasher.encode(password, hasher.salt(), INITIAL_PASSWORD_ITERATIONS)


def ensure_accounts(ctx: Context, people: Sequence[Person], *, role: str, counts: Counts) -> dict[str, int]:
    """mobile → user id for every person: linked to an existing account or a new one, each holding `role` here."""
    assert_can_grant(ctx, role)
    result = {p.mobile: p.user_id for p in people if p.user_id is not None}
    missing = [p for p in people if p.user_id is None and p.mobile not in result]
    by_index = {user_index(p.mobile): p for p in missing}
    for batch in chunks(list(by_index)):
        for user_id, index in User.objects.filter(mobile_index__in=batch).values_list("pk", "mobile_index"):
            result[by_index[str(index)].mobile] = user_id
            counts.accounts_linked += 1
    new_users: list[User] = []
    for person in missing:
        if person.mobile in result:
            continue
        password = generate_initial_password(INITIAL_PASSWORD_LENGTH)
        user = User(
            username=person.mobile,
            display_name=person.name,
            must_change_password=True,
            password=_initial_password_hash(password),
        )
        user.set_mobile(person.mobile)
        new_users.append(user)
        counts.new_accounts.append(NewAccount(person.mobile, person.name, password, role))
        result[person.mobile] = -1  # placeholder until the id is known
    User.objects.bulk_create(new_users, batch_size=1000)
    for user in new_users:
        result[user.username] = user.pk
    counts.accounts_created += len(new_users)
    user_ids = sorted({uid for uid in result.values() if uid is not None})
    _grant(ctx, user_ids, role=role)
    if new_users:
        record_write(
            actor=ctx.actor,
            event=AuditEventType.USER_CREATE,
            obj=ctx.school,
            detail={"via": "import", "role": role, "count": len(new_users)},
        )
    return {mobile: uid for mobile, uid in result.items() if uid is not None}


def _grant(ctx: Context, user_ids: list[int], *, role: str) -> None:
    held: dict[int, tuple[int, bool]] = {}
    for batch in chunks(user_ids):
        rows = RoleMembership.objects.filter(user_id__in=batch, role=role, school=ctx.school)
        held.update({uid: (pk, active) for pk, uid, active in rows.values_list("pk", "user_id", "is_active")})
    inactive = [pk for pk, active in held.values() if not active]
    for batch in chunks(inactive):
        RoleMembership.objects.filter(pk__in=batch).update(is_active=True)
    new = [RoleMembership(user_id=uid, role=role, school=ctx.school) for uid in user_ids if uid not in held]
    RoleMembership.objects.bulk_create(new, batch_size=1000)
    if new or inactive:
        record_write(
            actor=ctx.actor,
            event=AuditEventType.MEMBERSHIP_GRANT,
            obj=ctx.school,
            detail={"via": "import", "role": role, "count": len(new) + len(inactive)},
        )
