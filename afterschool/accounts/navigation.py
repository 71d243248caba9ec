"""Role-aware navigation: what each role sees in the menu. Pages still check access themselves."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from afterschool.tenancy.actor import Actor

from .choices import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


_ALL_ADMINS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)

# (label, url name, roles that see it)
_MENU: list[tuple[str, str, tuple[str, ...]]] = [
    ("首页", "core:home", tuple(r.value for r in Role)),
    ("区域", "tenancy:region_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
    ("学校", "tenancy:school_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)),
    ("第三方机构", "tenancy:organization_list", _ALL_ADMINS),
    ("学校概况", "schools:overview", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
    ("学期校历", "schools:term_list", (Role.SCHOOL_ADMIN,)),
    ("年级", "schools:grade_list", (Role.SCHOOL_ADMIN,)),
    ("班级", "schools:class_list", (Role.SCHOOL_ADMIN,)),
    ("学生", "schools:student_list", (Role.SCHOOL_ADMIN,)),
    ("监护人", "schools:guardian_list", (Role.SCHOOL_ADMIN,)),
    ("教职工", "schools:staff_list", (Role.SCHOOL_ADMIN,)),
    ("场地", "schools:venue_list", (Role.SCHOOL_ADMIN,)),
    ("应急联系人", "schools:contact_list", (Role.SCHOOL_ADMIN,)),
    ("常规课表", "schools:timetable", (Role.SCHOOL_ADMIN, Role.TEACHER)),
    ("批量导入", "schools:import_index", (Role.SCHOOL_ADMIN,)),
    ("账号", "accounts:user_list", _ALL_ADMINS),
    ("审计日志", "accounts:audit_list", _ALL_ADMINS),
    ("API 令牌", "accounts:token_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)),
]


def navigation_for(actor: Actor, path: str) -> list[NavItem]:
    items: list[NavItem] = []
    for label, name, roles in _MENU:
        if actor.role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append(NavItem(label=label, url=url, active=active))
    return items
