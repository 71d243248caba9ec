"""The Actor: who is acting, in which role, over which scope. Resolved once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from afterschool.accounts.choices import ORG_PERMISSION_IMPLIES, ORG_ROLES, SCOPE_KIND_OF_ROLE, Role

if TYPE_CHECKING:
    from afterschool.accounts.models import RoleMembership, User


@dataclass(frozen=True)
class Actor:
    user: User | None
    membership: RoleMembership | None = None
    client_ip: str = ""
    via: str = "session"  # session | token | system
    permissions: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.via == "system" or (self.user is not None and self.membership is not None)

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership is not None else None

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else ""

    @property
    def scope_kind(self) -> str | None:
        return SCOPE_KIND_OF_ROLE.get(self.role) if self.role else None

    @property
    def is_system_admin(self) -> bool:
        return self.via == "system" or self.role == Role.SYSTEM_ADMIN

    @property
    def region_id(self) -> int | None:
        return self.membership.region_id if self.membership is not None else None

    @property
    def school_id(self) -> int | None:
        return self.membership.school_id if self.membership is not None else None

    @property
    def organization_id(self) -> int | None:
        return self.membership.organization_id if self.membership is not None else None

    @property
    def scope_label(self) -> str:
        return self.membership.scope_label if self.membership is not None else ""

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def has_permission(self, code: str) -> bool:
        return self.is_system_admin or code in self.permissions

    def has_org_permission(self, code: str) -> bool:
        """An organization's own permissions (§5.5.3): its admin holds all; its staff and teachers those of the
        org roles assigned to them (an edit permission includes its view). System admins pass; every other role
        holds none."""
        if self.is_system_admin or self.role == Role.ORG_ADMIN:
            return True
        if self.role not in ORG_ROLES:
            return False
        return code in self.permissions or any(code in ORG_PERMISSION_IMPLIES.get(p, ()) for p in self.permissions)

    def audit_fields(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "username": self.user.get_username() if self.user is not None else f"<{self.via}>",
            "role": self.role or "",
            "scope": self.scope_label,
            "client_ip": self.client_ip,
        }


ANONYMOUS = Actor(user=None)


def system_actor() -> Actor:
    """For management commands and tasks that act as the platform itself; audited as such."""
    return Actor(user=None, membership=None, client_ip="", via="system")


def actor_of_login(username: str, role: str) -> Actor:
    """The person with this username acting in this role (demo loaders and commands acting as someone)."""
    from afterschool.accounts.models import RoleMembership

    membership = RoleMembership.objects.select_related("user", "school", "organization", "region").get(
        user__username=username, role=role, is_active=True
    )
    return Actor(user=membership.user, membership=membership, permissions=frozenset(membership.permissions or []))
