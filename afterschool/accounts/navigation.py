"""Role-aware navigation: what each role sees in the menu. Pages still check access themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from afterschool.tenancy.actor import Actor

from .choices import OrgPermission, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


_ALL_ADMINS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)

_ORG_MEMBERS = (Role.ORG_TEACHER, Role.ORG_STAFF)

# (label, url name, roles that see it[, an org permission that also shows it to org staff holding it])
_MENU: list[tuple[Any, ...]] = [
    ("首页", "core:home", tuple(r.value for r in Role)),
    ("通知", "notifications:list", tuple(r.value for r in Role)),
    ("区域", "tenancy:region_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
    ("学校", "tenancy:school_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)),
    ("第三方机构", "tenancy:organization_list", _ALL_ADMINS),
    ("入驻申请", "tenancy:application_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
    (
        "合作关系",
        "tenancy:partnership_list",
        (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN),
        OrgPermission.PARTNERSHIP_VIEW,
    ),
    (
        "课程",
        "courses:course_list",
        (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER, Role.ORG_ADMIN),
        OrgPermission.COURSE_VIEW,
    ),
    ("课程审核", "courses:review_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)),
    (
        "机构教师",
        "courses:teacher_list",
        (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN),
        OrgPermission.TEACHER_VIEW,
    ),
    ("师资汇总", "courses:teacher_summary", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
    (
        "教师外派",
        "courses:dispatch_list",
        (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN, Role.ORG_TEACHER),
        OrgPermission.DISPATCH_MANAGE,
    ),
    ("机构变动待处理", "courses:impact", (Role.SCHOOL_ADMIN,)),
    ("机构角色", "accounts:org_role_list", (Role.ORG_ADMIN,), OrgPermission.ACCOUNT_MANAGE),
    ("学校概况", "schools:overview", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
    ("课班", "scheduling:section_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)),
    (
        "课后课表",
        "scheduling:timetable",
        (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER, Role.ORG_ADMIN),
    ),
    ("选课报名", "payments:selection", (Role.PARENT,)),
    ("订单", "payments:order_list", (Role.PARENT, Role.SCHOOL_ADMIN)),
    ("候补", "payments:waitlist", (Role.PARENT,)),
    ("退款", "payments:refund_list", (Role.PARENT, Role.SCHOOL_ADMIN)),
    ("缴费统计", "payments:school_fees", (Role.SCHOOL_ADMIN,)),
    ("资金监管", "payments:supervision", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
    ("对账", "payments:reconciliation", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)),
    ("银行对账单", "payments:statement_list", (Role.SYSTEM_ADMIN,)),
    (
        "结算",
        "payments:bill_list",
        (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN),
        OrgPermission.PARTNERSHIP_VIEW,
    ),
    (
        "结算约定",
        "payments:settlement_terms",
        (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN),
    ),
    (
        "我的课表",
        "scheduling:my_timetable",
        (Role.TEACHER, Role.ORG_TEACHER, Role.PARENT, Role.STUDENT),
    ),
    (
        "班级课表",
        "scheduling:class_timetable",
        (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER),
    ),
    ("课表订阅", "scheduling:calendar_feeds", (Role.TEACHER, Role.ORG_TEACHER, Role.PARENT, Role.STUDENT)),
    ("课后服务时段", "scheduling:slot_list", (Role.SCHOOL_ADMIN,)),
    ("自动排课", "scheduling:run_list", (Role.SCHOOL_ADMIN,)),
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
    ("账号", "accounts:user_list", _ALL_ADMINS, OrgPermission.ACCOUNT_MANAGE),
    ("机构人员", "accounts:org_member_list", (Role.ORG_ADMIN,), OrgPermission.ACCOUNT_MANAGE),
    ("审计日志", "accounts:audit_list", _ALL_ADMINS),
    ("API 令牌", "accounts:token_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)),
]


def navigation_for(actor: Actor, path: str) -> list[NavItem]:
    items: list[NavItem] = []
    for label, name, roles, *permission in _MENU:
        granted = bool(permission) and actor.role in _ORG_MEMBERS and actor.has_org_permission(permission[0])
        if actor.role not in roles and not granted:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append(NavItem(label=label, url=url, active=active))
    return items
