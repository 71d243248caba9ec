"""Writes of accounts data: users, roles, passwords, role switches, API tokens. Each is audited."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from afterschool.core import crypto
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.core.services import apply_changes, validate_and_save
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization, Region, School

from . import selectors
from .audit import audit_record
from .choices import ORG_ROLES, SCOPE_KIND_OF_ROLE, AuditEventType, AuditOutcome, OrgPermission, Role, ScopeKind
from .models import ApiToken, OrgRole, RoleMembership, User

TOKEN_PREFIX = "as_"
# API tokens are for systems that act for an administrative role (教务系统, 统计平台 …).
TOKEN_ROLES = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)

# Which roles an actor may grant, and only inside its own scope.
GRANTABLE_ROLES: dict[str, set[str]] = {
    Role.SYSTEM_ADMIN: {r.value for r in Role},
    Role.BUREAU_ADMIN: {
        Role.BUREAU_ADMIN,
        Role.SCHOOL_ADMIN,
        Role.TEACHER,
        Role.ORG_ADMIN,
        Role.ORG_TEACHER,
        Role.ORG_STAFF,
    },
    Role.SCHOOL_ADMIN: {Role.TEACHER, Role.PARENT, Role.STUDENT},
    Role.ORG_ADMIN: {Role.ORG_TEACHER, Role.ORG_STAFF},
}
# Organization members whose org roles carry 账号与角色管理 may grant these (never 机构管理员).
ORG_MEMBER_GRANTABLE_ROLES = {Role.ORG_TEACHER.value, Role.ORG_STAFF.value}
# The memberships an organization's own roles (机构角色) can be assigned to.
ORG_ROLE_HOLDERS = (Role.ORG_TEACHER, Role.ORG_STAFF)
ORG_PERMISSION_PREFIX = "org."


def grantable_roles(actor: Actor) -> set[str]:
    """The roles the actor may give or take away (inside its own scope)."""
    if actor.is_system_admin:
        return {r.value for r in Role}
    roles = set(GRANTABLE_ROLES.get(actor.role or "", set()))
    if actor.role in ORG_ROLE_HOLDERS and actor.has_org_permission(OrgPermission.ACCOUNT_MANAGE):
        roles |= ORG_MEMBER_GRANTABLE_ROLES
    return roles


def can_manage_accounts(actor: Actor) -> bool:
    """Admins manage the accounts of their scope; organization members do when granted 账号与角色管理."""
    if actor.has_role(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN):
        return True
    return actor.role in ORG_ROLE_HOLDERS and actor.has_org_permission(OrgPermission.ACCOUNT_MANAGE)


def require_org_permission(actor: Actor, code: str) -> None:
    """Refuse unless the actor holds the organization permission `code` (§5.5.3); names it in the message."""
    if not actor.has_org_permission(code):
        try:
            label = str(OrgPermission(code).label)
        except ValueError:
            label = code
        raise PermissionDenied(f"没有权限：当前角色缺少机构权限“{label}”")


def login_identity_for_lockout(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """Lockout counts failures per account, whichever identifier (username or mobile) was typed."""
    identifier = str((credentials or {}).get("username") or "").strip()
    user = selectors.user_by_login_identifier(identifier) if identifier else None
    return user.username if user is not None else identifier.lower()


def generate_initial_password(length: int = 12) -> str:
    """Random password meeting the policy; the user must change it at first login."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = [secrets.choice(alphabet) for _ in range(length - 2)]
        body += [secrets.choice(string.digits), secrets.choice("!@#$%&*?")]
        secrets.SystemRandom().shuffle(body)
        candidate = "".join(body)
        if any(c.islower() for c in candidate) and any(c.isupper() for c in candidate):
            return candidate


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed({"password": list(exc.messages)}, message="密码不符合要求") from None


def _scope_objects(
    *, role: str, region: Region | None, school: School | None, organization: Organization | None
) -> dict[str, Any]:
    kind = SCOPE_KIND_OF_ROLE[role]
    needed: dict[str, Any] = {ScopeKind.REGION: region, ScopeKind.SCHOOL: school, ScopeKind.ORGANIZATION: organization}
    if kind in needed and needed[kind] is None:
        raise ValidationFailed({"scope": [f"角色“{Role(role).label}”必须指定{ScopeKind(kind).label}"]})
    return {
        "region": region if kind == ScopeKind.REGION else None,
        "school": school if kind in (ScopeKind.SCHOOL, ScopeKind.SELF) else None,
        "organization": organization if kind == ScopeKind.ORGANIZATION else None,
    }


def _assert_can_grant(*, actor: Actor, role: str, scope: dict[str, Any]) -> None:
    if role not in grantable_roles(actor):
        raise PermissionDenied(f"无权授予角色“{Role(role).label}”")
    if actor.is_system_admin:
        return
    from afterschool.tenancy.scoping import region_ids_within

    if actor.region_id is not None:
        allowed = set(region_ids_within(actor.region_id))
        region = (
            scope["region"]
            or (scope["school"].region if scope["school"] else None)
            or (scope["organization"].region if scope["organization"] else None)
        )
        if region is None or region.pk not in allowed:
            raise PermissionDenied("只能在本区域内授予角色")
    elif actor.school_id is not None:
        if scope["school"] is None or scope["school"].pk != actor.school_id:
            raise PermissionDenied("只能在本校内授予角色")
    elif actor.organization_id is not None:
        if scope["organization"] is None or scope["organization"].pk != actor.organization_id:
            raise PermissionDenied("只能在本机构内授予角色")
    else:
        raise PermissionDenied()


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    display_name: str = "",
    mobile: str = "",
    role: str,
    region: Region | None = None,
    school: School | None = None,
    organization: Organization | None = None,
    password: str | None = None,
    must_change_password: bool = True,
) -> tuple[User, str]:
    """Create an account with one role inside the actor's scope. Returns the user and its initial password.

    Accounts made by an admin or an import must change their password at first login.
    """
    scope = _scope_objects(role=role, region=region, school=school, organization=organization)
    _assert_can_grant(actor=actor, role=role, scope=scope)
    errors: dict[str, list[str]] = {}
    username = username.strip()
    if not username:
        errors["username"] = ["请填写用户名"]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["用户名已被使用"]
    if mobile:
        if not selectors.MOBILE_RE.match(mobile):
            errors["mobile"] = ["手机号格式不正确"]
        elif selectors.user_by_mobile(mobile) is not None:
            errors["mobile"] = ["该手机号已绑定其他账号"]
    if errors:
        raise ValidationFailed(errors)
    user = User(username=username, display_name=display_name.strip(), must_change_password=must_change_password)
    user.set_mobile(mobile)
    initial = password or generate_initial_password()
    _validate_password(initial, user)
    user.set_password(initial)
    try:
        user.save()
    except IntegrityError:
        raise ValidationFailed({"username": ["用户名或手机号已被使用"]}) from None
    membership = RoleMembership.objects.create(user=user, role=role, **scope)
    audit_record(actor=actor, event=AuditEventType.USER_CREATE, obj=user, detail={"role": role})
    audit_record(actor=actor, event=AuditEventType.MEMBERSHIP_GRANT, obj=membership, detail={"user": username})
    return user, initial


@transaction.atomic
def account_for_mobile(
    *,
    actor: Actor,
    mobile: str,
    display_name: str,
    role: str,
    school: School | None = None,
    organization: Organization | None = None,
    user: User | None = None,
) -> tuple[User, str | None]:
    """The login of a person known by mobile (a guardian, a staff member, an organization teacher): the account of
    that mobile (or `user`, if already linked) given `role` in the scope when it lacks it, else a new account named
    by the mobile. Returns the account and, when one was created, its initial password (shown once)."""
    user = user or selectors.user_by_mobile(mobile)
    if user is None:
        return user_create(
            actor=actor,
            username=mobile,
            display_name=display_name,
            mobile=mobile,
            role=role,
            school=school,
            organization=organization,
            must_change_password=True,
        )
    scope = _scope_objects(role=role, region=None, school=school, organization=organization)
    # A parent's membership names the school it was made from but is not bound to it: one is enough.
    held = user.memberships.filter(role=role, is_active=True)
    if role != Role.PARENT:
        held = held.filter(school=scope["school"], organization=scope["organization"])
    if not held.exists():
        membership_grant(actor=actor, user=user, role=role, school=school, organization=organization)
    return user, None


@transaction.atomic
def membership_grant(
    *,
    actor: Actor,
    user: User,
    role: str,
    region: Region | None = None,
    school: School | None = None,
    organization: Organization | None = None,
    permissions: list[str] | None = None,
) -> RoleMembership:
    """Give a person another role (a teacher who is also a parent) inside the actor's scope."""
    scope = _scope_objects(role=role, region=region, school=school, organization=organization)
    _assert_can_grant(actor=actor, role=role, scope=scope)
    membership, created = RoleMembership.objects.get_or_create(user=user, role=role, **scope)
    if not created and membership.is_active and permissions is None:
        return membership
    membership.is_active = True
    if permissions is not None:
        membership.permissions = sorted(set(permissions))
    membership.save()
    audit_record(actor=actor, event=AuditEventType.MEMBERSHIP_GRANT, obj=membership, detail={"user": user.username})
    return membership


@transaction.atomic
def user_set_admin_site_access(*, actor: Actor, user: User, allowed: bool) -> User:
    """Open or close the Django admin (/admin/) for a system admin. Only system admins decide this."""
    if not actor.is_system_admin:
        raise PermissionDenied()
    if allowed and not user.memberships.filter(role=Role.SYSTEM_ADMIN, is_active=True).exists():
        raise ValidationFailed({"user": ["只有系统管理员可以使用系统管理后台"]})
    user.is_staff = user.is_superuser = allowed
    user.save(update_fields=["is_staff", "is_superuser"])
    audit_record(actor=actor, event=AuditEventType.USER_UPDATE, obj=user, detail={"admin_site": allowed})
    return user


@transaction.atomic
def membership_revoke(*, actor: Actor, membership: RoleMembership) -> None:
    scope = {"region": membership.region, "school": membership.school, "organization": membership.organization}
    _assert_can_grant(actor=actor, role=membership.role, scope=scope)
    org_roles = sorted(membership.org_roles.values_list("name", flat=True))
    membership.org_roles.clear()
    membership.is_active = False
    membership.permissions = _permissions_without_org(membership.permissions)
    membership.save(update_fields=["is_active", "permissions", "updated_at"])
    ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        actor=actor,
        event=AuditEventType.MEMBERSHIP_REVOKE,
        obj=membership,
        detail={"org_roles_removed": org_roles} if org_roles else None,
    )


def password_change(*, actor: Actor, user: User, old_password: str, new_password: str) -> None:
    """The user changes its own password; the old one must be right and the new one meet the policy.

    A wrong old password is audited (it is a guess at the account's password) and refused.
    """
    if actor.user_id != user.pk:
        raise PermissionDenied()
    if not user.check_password(old_password):
        audit_record(actor=actor, event=AuditEventType.PASSWORD_CHANGE, obj=user, outcome=AuditOutcome.FAILURE)
        raise ValidationFailed({"old_password": ["原密码不正确"]})
    if old_password == new_password:
        raise ValidationFailed({"new_password": ["新密码不能与原密码相同"]})
    _validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        audit_record(actor=actor, event=AuditEventType.PASSWORD_CHANGE, obj=user)


@transaction.atomic
def password_reset(*, actor: Actor, user: User) -> str:
    """An admin sets a new random password for an account in its scope; it must be changed at next login."""
    selectors.user_get(actor=actor, user_id=user.pk)
    if not actor.has_role(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN):
        raise PermissionDenied()
    initial = generate_initial_password()
    user.set_password(initial)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    # A reset means the account may be in the wrong hands: its API tokens stop working too.
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(actor=actor, event=AuditEventType.PASSWORD_RESET, obj=user, detail={"tokens_revoked": revoked})
    return initial


def user_unlock(*, actor: Actor, user: User) -> int:
    """Lift a login lockout early (an admin who has checked the person's identity)."""
    from axes.utils import reset

    selectors.user_get(actor=actor, user_id=user.pk)
    if not actor.has_role(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN):
        raise PermissionDenied()
    count = reset(username=user.username)
    audit_record(actor=actor, event=AuditEventType.USER_UNLOCK, obj=user, detail={"attempts_cleared": count})
    return count


def lockout_remaining(*, username: str) -> dt.timedelta:
    """How long until a locked account may try again (zero if it is not locked)."""
    from axes.models import AccessAttempt

    attempts = list(AccessAttempt.objects.filter(username=username))
    if sum(a.failures_since_start for a in attempts) < settings.AXES_FAILURE_LIMIT:
        return dt.timedelta(0)
    latest = max(a.attempt_time for a in attempts)
    return max(latest + settings.AXES_COOLOFF_TIME - timezone.now(), dt.timedelta(0))


def _address_keys(ip_address: str) -> tuple[str, str]:
    return f"login:address-failures:{ip_address}", f"login:address-blocked:{ip_address}"


def address_failure_record(*, ip_address: str) -> None:
    """Count a failed login from an address; at the limit the address is blocked for a while.

    Counters live in the shared cache (Redis in production) so every app process sees them.
    """
    if not ip_address:
        return
    from django.core.cache import cache

    window = int(settings.AFTERSCHOOL_LOGIN_ADDRESS_BLOCK.total_seconds())
    count_key, blocked_key = _address_keys(ip_address)
    cache.add(count_key, 0, timeout=window)
    try:
        failures = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, timeout=window)
        failures = 1
    if failures >= settings.AFTERSCHOOL_LOGIN_ADDRESS_FAILURE_LIMIT:
        until = timezone.now() + settings.AFTERSCHOOL_LOGIN_ADDRESS_BLOCK
        cache.set(blocked_key, until.timestamp(), timeout=window)
        cache.delete(count_key)


def address_block_remaining(*, ip_address: str) -> dt.timedelta:
    if not ip_address:
        return dt.timedelta(0)
    from django.core.cache import cache

    until = cache.get(_address_keys(ip_address)[1])
    if until is None:
        return dt.timedelta(0)
    return max(dt.timedelta(seconds=until - timezone.now().timestamp()), dt.timedelta(0))


ACTIVE_MEMBERSHIP_SESSION_KEY = "active_membership_id"


def role_switch(*, actor: Actor, request: HttpRequest, membership_id: Any) -> RoleMembership:
    """Make another of the person's own roles the active one for this session."""
    if actor.user is None:
        raise PermissionDenied()
    try:
        membership = RoleMembership.objects.get(pk=int(membership_id), user=actor.user, is_active=True)
    except (RoleMembership.DoesNotExist, ValueError, TypeError):
        raise NotFound("角色不存在") from None
    request.session[ACTIVE_MEMBERSHIP_SESSION_KEY] = membership.pk
    request.session.cycle_key()
    audit_record(
        actor=actor,
        event=AuditEventType.ROLE_SWITCH,
        obj=membership,
        detail={"from": actor.role or "", "to": membership.role},
    )
    return membership


def _token_digest(raw: str) -> str:
    return crypto.sm3_hexdigest(raw.encode())


@transaction.atomic
def token_issue(*, actor: Actor, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Issue a bearer token for the actor's current role. The raw key is shown once and stored only as SM3."""
    if actor.user is None or actor.membership is None:
        raise PermissionDenied()
    if not actor.has_role(*TOKEN_ROLES):
        raise PermissionDenied("当前角色不能签发 API 令牌")
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise ValidationFailed({"name": ["请填写 1–64 个字符的令牌名称"]})
    days = days if days is not None else settings.AFTERSCHOOL_API_TOKEN_DEFAULT_DAYS
    if not 1 <= days <= 366:
        raise ValidationFailed({"days": ["有效期须在 1 到 366 天之间"]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor.user,
        membership=actor.membership,
        name=name,
        prefix=raw[:10],
        key_digest=_token_digest(raw),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    audit_record(actor=actor, event=AuditEventType.TOKEN_ISSUE, obj=token, detail={"days": days})
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Actor, token_id: Any) -> ApiToken:
    token = selectors.token_get(actor=actor, token_id=token_id)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, event=AuditEventType.TOKEN_REVOKE, obj=token)
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token for a raw key: not revoked, not expired, user and role still active."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    token = (
        ApiToken.objects.select_related(
            "user", "membership", "membership__region", "membership__school", "membership__organization"
        )
        .filter(key_digest=_token_digest(raw))
        .first()
    )
    now = timezone.now()
    if (
        token is None
        or token.revoked_at is not None
        or token.expires_at <= now
        or not token.user.is_active
        or token.user.must_change_password
        or not token.membership.is_active
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def record_denial(*, actor: Actor, reason: str, path: str = "") -> None:
    audit_record(
        actor=actor,
        event=AuditEventType.PERMISSION_DENIED,
        outcome=AuditOutcome.DENIED,
        detail={"reason": reason[:200], "path": path[:200]},
    )


def record_write(*, actor: Actor, event: str, obj: Any, detail: dict[str, Any] | None = None) -> None:
    """Audit a write service of any app (create/update/delete/export)."""
    audit_record(actor=actor, event=event, obj=obj, detail=detail)


# --- Organization roles (机构角色, §5.5.3) -----------------------------------------------------------------------
#
# An organization defines named sets of OrgPermission and assigns them to its teachers and staff. The permissions
# of a member's org roles are folded into `RoleMembership.permissions`, which the Actor reads on every request
# (session and token alike), so a change applies from the next request on.

ORG_ROLE_FIELDS = ("name", "description", "permissions")


def _permissions_without_org(permissions: list[str] | None) -> list[str]:
    return [p for p in permissions or [] if not str(p).startswith(ORG_PERMISSION_PREFIX)]


def _recompute_permissions(membership: RoleMembership) -> list[str]:
    """(the membership's own non-organization permissions) ∪ (the permissions of its org roles)."""
    granted: set[str] = set(_permissions_without_org(membership.permissions))
    for role in membership.org_roles.all():
        granted |= {p for p in role.permissions or [] if p in OrgPermission.values}
    new = sorted(granted)
    if new != list(membership.permissions or []):
        membership.permissions = new
        membership.save(update_fields=["permissions", "updated_at"])
    return new


def _clean_org_permissions(values: Any) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple | set | frozenset):
        raise ValidationFailed({"permissions": ["权限须为列表"]})
    unknown = [str(v) for v in values if v not in OrgPermission.values]
    if unknown:
        raise ValidationFailed({"permissions": [f"未知的权限“{v[:40]}”" for v in unknown[:10]]})
    return sorted(set(values))


def _actor_is_org_manager(actor: Actor) -> bool:
    """System admins and organization admins hold every organization permission; nothing to escalate to."""
    return actor.is_system_admin or actor.role == Role.ORG_ADMIN


def _require_org_account_manager(actor: Actor, organization_id: int | None) -> None:
    """Writes of org roles and assignments: a system admin anywhere, else a member of that very organization
    (its admin, or its teacher/staff holding 账号与角色管理). Bureau and school roles never write them."""
    if actor.is_system_admin:
        return
    if actor.role not in ORG_ROLES:
        raise PermissionDenied("只有机构管理员或被授权的机构人员可以维护机构角色")
    require_org_permission(actor, OrgPermission.ACCOUNT_MANAGE)
    if organization_id is None or actor.organization_id != organization_id:
        raise NotFound()


def _refuse_escalation(actor: Actor, permissions: list[str] | set[str], what: str) -> None:
    if _actor_is_org_manager(actor):
        return
    beyond = sorted(set(permissions) - set(actor.permissions))
    if beyond:
        labels = "、".join(str(OrgPermission(p).label) for p in beyond if p in OrgPermission.values)
        raise PermissionDenied(f"不能{what}含有您本人没有的权限（{labels}）的机构角色")


def _org_role_check(org_role: OrgRole) -> None:
    errors: dict[str, list[str]] = {}
    org_role.name = (org_role.name or "").strip()
    org_role.description = (org_role.description or "").strip()
    if not org_role.name:
        errors["name"] = ["请填写角色名称"]
    elif len(org_role.name) > 32:
        errors["name"] = ["角色名称最多 32 个字符"]
    elif (
        OrgRole.objects.filter(organization_id=org_role.organization_id, name=org_role.name)
        .exclude(pk=org_role.pk)
        .exists()
    ):
        errors["name"] = [f"本机构已有名为“{org_role.name}”的角色"]
    if len(org_role.description) > 200:
        errors["description"] = ["说明最多 200 个字符"]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def org_role_create(*, actor: Actor, data: dict[str, Any]) -> OrgRole:
    """An organization defines a role for its own people. Its admin (or staff with 账号与角色管理, only with
    permissions it holds itself); a system admin names the organization."""
    if actor.is_system_admin:
        organization = data.get("organization")
        if organization is None:
            raise ValidationFailed({"organization": ["请选择机构"]})
    else:
        _require_org_account_manager(actor, actor.organization_id)
        organization = actor.membership.organization if actor.membership is not None else None
    permissions = _clean_org_permissions(data.get("permissions"))
    _refuse_escalation(actor, permissions, "创建")
    org_role = OrgRole(
        organization=organization,
        name=data.get("name") or "",
        description=data.get("description") or "",
        permissions=permissions,
    )
    _org_role_check(org_role)
    validate_and_save(org_role)
    audit_record(actor=actor, event=AuditEventType.CREATE, obj=org_role, detail={"permissions": permissions})
    return org_role


@transaction.atomic
def org_role_update(*, actor: Actor, org_role: OrgRole, data: dict[str, Any]) -> OrgRole:
    """Change a role; every member holding it gets its permissions recomputed in the same transaction."""
    org_role = selectors.org_role_get(actor=actor, org_role_id=org_role.pk)
    _require_org_account_manager(actor, org_role.organization_id)
    _refuse_escalation(actor, org_role.permissions or [], "修改")
    changes = {k: v for k, v in data.items() if k in ORG_ROLE_FIELDS}
    if "permissions" in changes:
        changes["permissions"] = _clean_org_permissions(changes["permissions"])
        _refuse_escalation(actor, changes["permissions"], "设置")
    before = list(org_role.permissions or [])
    for field in ("name", "description"):
        if field in changes and changes[field] is None:
            changes[field] = ""
    diff = apply_changes(org_role, {k: v for k, v in changes.items() if k != "permissions"}, allowed=ORG_ROLE_FIELDS)
    if "permissions" in changes and changes["permissions"] != before:
        org_role.permissions = changes["permissions"]
        diff["permissions"] = [before, changes["permissions"]]
    _org_role_check(org_role)
    validate_and_save(org_role)
    recomputed = 0
    if "permissions" in diff:
        for membership in org_role.memberships.all():
            _recompute_permissions(membership)
            recomputed += 1
    audit_record(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=org_role,
        detail={"changes": diff, "members_recomputed": recomputed},
    )
    return org_role


@transaction.atomic
def org_role_delete(*, actor: Actor, org_role: OrgRole) -> list[RoleMembership]:
    """Delete a role; it is taken away from its members, whose permissions are recomputed. Returns them."""
    org_role = selectors.org_role_get(actor=actor, org_role_id=org_role.pk)
    _require_org_account_manager(actor, org_role.organization_id)
    _refuse_escalation(actor, org_role.permissions or [], "删除")
    members = list(org_role.memberships.all())
    audit_record(
        actor=actor,
        event=AuditEventType.DELETE,
        obj=org_role,
        detail={"permissions": org_role.permissions, "members": [m.pk for m in members]},
    )
    org_role.delete()
    for membership in members:
        _recompute_permissions(membership)
    return members


@transaction.atomic
def org_roles_assign(*, actor: Actor, membership: RoleMembership, roles: list[OrgRole]) -> RoleMembership:
    """Set the org roles of one teacher/staff member of the actor's organization and recompute its permissions.

    Nobody assigns roles to itself; organization staff change only roles whose permissions they hold.
    """
    membership = selectors.org_member_get(actor=actor, membership_id=membership.pk)
    _require_org_account_manager(actor, membership.organization_id)
    if membership.role not in ORG_ROLE_HOLDERS:
        raise ValidationFailed({"membership": ["只能给机构教师或机构工作人员分配机构角色"]})
    if not actor.is_system_admin and membership.user_id == actor.user_id:
        raise PermissionDenied("不能给自己分配机构角色")
    if (
        not _actor_is_org_manager(actor)
        and RoleMembership.objects.filter(
            user_id=membership.user_id, role=Role.ORG_ADMIN, organization=membership.organization, is_active=True
        ).exists()
    ):
        raise PermissionDenied("机构工作人员不能管理机构管理员的角色")
    wanted: dict[int, OrgRole] = {}
    for role in roles:
        if role.organization_id != membership.organization_id:
            raise ValidationFailed({"roles": [f"角色“{role.name}”不属于该机构"]})
        wanted[role.pk] = role
    current = {r.pk: r for r in membership.org_roles.all()}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    for role in added + removed:
        _refuse_escalation(actor, role.permissions or [], "分配或收回")
    before = list(membership.permissions or [])
    membership.org_roles.set(list(wanted.values()))
    after = _recompute_permissions(membership)
    audit_record(
        actor=actor,
        event=AuditEventType.UPDATE,
        obj=membership,
        detail={
            "user": membership.user.username,
            "org_roles_added": sorted(r.name for r in added),
            "org_roles_removed": sorted(r.name for r in removed),
            "permissions": [before, after],
        },
    )
    return membership


def org_roles_by_ids(*, actor: Actor, ids: list[int], organization_id: int | None) -> list[OrgRole]:
    """Resolve role ids sent by a client; an id outside the actor's sight or the organization is refused."""
    found = {r.pk: r for r in selectors.org_role_list(actor=actor).filter(pk__in=set(ids))}
    bad = [i for i in ids if i not in found or found[i].organization_id != organization_id]
    if bad:
        raise ValidationFailed({"roles": [f"角色 {i} 不存在或不属于该机构" for i in bad[:10]]})
    return [found[i] for i in dict.fromkeys(ids)]
