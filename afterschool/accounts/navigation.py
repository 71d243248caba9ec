"""Role-aware navigation: what each role sees in the menu. Pages still check access themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from afterschool.tenancy.actor import Actor

from .choices import OrgPermission, Permission, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


_ALL_ADMINS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)

_ORG_MEMBERS = (Role.ORG_TEACHER, Role.ORG_STAFF)

_MANAGERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
_TEACHERS = (Role.TEACHER, Role.ORG_TEACHER)
_FAMILY = (Role.PARENT, Role.STUDENT)

# Groups of (label, url name, roles that see it[, a permission that also shows it: an org permission to org staff
# holding it, or a platform permission (巡课) to teachers holding it]). A group with nothing to show is left out.
_MENU: list[tuple[str, list[tuple[Any, ...]]]] = [
    (
        "",
        [
            ("首页", "core:home", tuple(r.value for r in Role)),
            ("通知", "notifications:list", tuple(r.value for r in Role)),
        ],
    ),
    (
        "考勤与巡课",
        [
            ("今日课程", "attendance:today", (Role.SCHOOL_ADMIN, *_TEACHERS)),
            ("孩子考勤", "attendance:child", _FAMILY),
            ("请假", "attendance:leave_new", _FAMILY),
            ("我的请假", "attendance:my_leaves", (*_FAMILY, *_TEACHERS)),
            ("请假审批", "attendance:leaves", (Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN, *_TEACHERS)),
            ("教师请假", "attendance:teacher_leaves", (Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN)),
            ("我的签到", "attendance:my_checkins", _TEACHERS),
            ("巡课任务", "patrol:today", (Role.SCHOOL_ADMIN,), Permission.PATROL),
            ("巡课记录", "patrol:list", (Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN, Role.BUREAU_ADMIN), Permission.PATROL),
            ("巡课汇总", "patrol:summary", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
            ("考勤统计", "attendance:stats", _MANAGERS),  # its tabs lead to 教师考勤 and 课次考勤明细
            ("教师签到记录", "attendance:checkins", (*_MANAGERS, Role.ORG_ADMIN)),
            ("考勤设置", "attendance:settings", (Role.SCHOOL_ADMIN,)),
            ("场地签到范围", "attendance:venue_areas", (Role.SCHOOL_ADMIN,)),
            ("巡课评价项", "patrol:rubric", (Role.SCHOOL_ADMIN,)),
        ],
    ),
    (
        "课堂与评价",
        [
            ("课堂风采", "feedback:feed", _FAMILY),
            ("课堂风采", "feedback:my_moments", _TEACHERS),
            ("课堂风采", "feedback:moments", _MANAGERS),
            ("风采审核", "feedback:moment_review", (Role.SCHOOL_ADMIN,)),
            ("课程评价", "feedback:evaluate", _FAMILY),
            ("课程评价", "feedback:my_evaluations", _TEACHERS),
            ("评价统计", "feedback:evaluation_stats", _MANAGERS),
            ("学校公告", "notifications:announcements", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)),
        ],
    ),
    (
        "课表",
        [
            ("我的课表", "scheduling:my_timetable", (*_TEACHERS, *_FAMILY)),
            ("课后课表", "scheduling:timetable", (*_MANAGERS, Role.TEACHER, Role.ORG_ADMIN)),
            ("班级课表", "scheduling:class_timetable", (*_MANAGERS, Role.TEACHER)),
            ("常规课表", "schools:timetable", (Role.SCHOOL_ADMIN, Role.TEACHER)),
            ("课表订阅", "scheduling:calendar_feeds", (*_TEACHERS, *_FAMILY)),
            ("课班", "scheduling:section_list", (*_MANAGERS, Role.ORG_ADMIN)),
            ("课后服务时段", "scheduling:slot_list", (Role.SCHOOL_ADMIN,)),
            ("自动排课", "scheduling:run_list", (Role.SCHOOL_ADMIN,)),
        ],
    ),
    (
        "选课与缴费",
        [
            ("选课报名", "payments:selection", (Role.PARENT,)),
            ("订单", "payments:order_list", (Role.PARENT, Role.SCHOOL_ADMIN)),
            ("候补", "payments:waitlist", (Role.PARENT,)),
            ("退款", "payments:refund_list", (Role.PARENT, Role.SCHOOL_ADMIN)),
            ("缴费统计", "payments:school_fees", (Role.SCHOOL_ADMIN,)),
            ("资金监管", "payments:supervision", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
            ("对账", "payments:reconciliation", _MANAGERS),
            ("银行对账单", "payments:statement_list", (Role.SYSTEM_ADMIN,)),
            ("结算", "payments:bill_list", (*_MANAGERS, Role.ORG_ADMIN), OrgPermission.PARTNERSHIP_VIEW),
            ("结算约定", "payments:settlement_terms", (*_MANAGERS, Role.ORG_ADMIN)),
        ],
    ),
    (
        "课程与机构",
        [
            ("课程", "courses:course_list", (*_MANAGERS, Role.TEACHER, Role.ORG_ADMIN), OrgPermission.COURSE_VIEW),
            ("课程审核", "courses:review_list", _MANAGERS),
            ("机构教师", "courses:teacher_list", (*_MANAGERS, Role.ORG_ADMIN), OrgPermission.TEACHER_VIEW),
            ("师资汇总", "courses:teacher_summary", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
            (
                "教师外派",
                "courses:dispatch_list",
                (*_MANAGERS, Role.ORG_ADMIN, Role.ORG_TEACHER),
                OrgPermission.DISPATCH_MANAGE,
            ),
            ("机构变动待处理", "courses:impact", (Role.SCHOOL_ADMIN,)),
            ("第三方机构", "tenancy:organization_list", _ALL_ADMINS),
            ("入驻申请", "tenancy:application_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
            ("合作关系", "tenancy:partnership_list", _ALL_ADMINS, OrgPermission.PARTNERSHIP_VIEW),
            ("机构角色", "accounts:org_role_list", (Role.ORG_ADMIN,), OrgPermission.ACCOUNT_MANAGE),
        ],
    ),
    (
        "学校与区域",
        [
            ("区域", "tenancy:region_list", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
            ("学校", "tenancy:school_list", _ALL_ADMINS),
            ("学校概况", "schools:overview", (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN)),
            ("学期校历", "schools:term_list", (Role.SCHOOL_ADMIN,)),
            ("年级", "schools:grade_list", (Role.SCHOOL_ADMIN,)),
            ("班级", "schools:class_list", (Role.SCHOOL_ADMIN,)),
            ("学生", "schools:student_list", (Role.SCHOOL_ADMIN,)),
            ("监护人", "schools:guardian_list", (Role.SCHOOL_ADMIN,)),
            ("教职工", "schools:staff_list", (Role.SCHOOL_ADMIN,)),
            ("场地", "schools:venue_list", (Role.SCHOOL_ADMIN,)),
            ("应急联系人", "schools:contact_list", (Role.SCHOOL_ADMIN,)),
            ("批量导入", "schools:import_index", (Role.SCHOOL_ADMIN,)),
        ],
    ),
    (
        "设置",
        [
            ("账号", "accounts:user_list", _ALL_ADMINS, OrgPermission.ACCOUNT_MANAGE),
            ("机构人员", "accounts:org_member_list", (Role.ORG_ADMIN,), OrgPermission.ACCOUNT_MANAGE),
            ("审计日志", "accounts:audit_list", _ALL_ADMINS),
            ("API 令牌", "accounts:token_list", _ALL_ADMINS),
            ("通知设置", "notifications:preferences", tuple(r.value for r in Role)),
            ("模拟短信/微信", "notifications:outbox", (Role.SYSTEM_ADMIN,)),
        ],
    ),
]


@dataclass(frozen=True)
class NavGroup:
    label: str
    items: list[NavItem]


def _granted_by_permission(actor: Actor, permission: str) -> bool:
    if permission.startswith("org."):
        return actor.role in _ORG_MEMBERS and actor.has_org_permission(permission)
    return actor.role == Role.TEACHER and actor.has_permission(permission)


def navigation_for(actor: Actor, path: str) -> list[NavGroup]:
    groups: list[NavGroup] = []
    for group_label, entries in _MENU:
        items: list[NavItem] = []
        for label, name, roles, *permission in entries:
            if actor.role not in roles and not (permission and _granted_by_permission(actor, permission[0])):
                continue
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue
            active = path == url if url == "/" else path.startswith(url)
            items.append(NavItem(label=label, url=url, active=active))
        if items:
            groups.append(NavGroup(label=group_label, items=items))
    return groups
