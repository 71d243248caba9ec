"""The demo data set: one district (海淀区) with 3 schools, 2 organizations and one login per role; the first
school (海淀实验小学) has a full population (≈ 960 students, guardians, staff, venues, a term and its calendar).

Loaded by `manage.py loaddemo` for the embedded default; idempotent (a second run changes nothing).
Everything goes through the services, as any other writer would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from afterschool.accounts import services as account_services
from afterschool.accounts.choices import Role
from afterschool.accounts.models import RoleMembership, User
from afterschool.attendance.services.demo import demo_attendance_ensure
from afterschool.courses.services.demo import demo_courses_ensure
from afterschool.feedback.services.demo import demo_feedback_ensure
from afterschool.notifications.models import NotificationPreference
from afterschool.notifications.services.demo import demo_announcements_ensure
from afterschool.patrol.services.demo import demo_patrol_ensure
from afterschool.scheduling.services.demo import demo_sections_ensure
from afterschool.schools.services.demo import demo_population_ensure
from afterschool.tenancy import services as tenancy_services
from afterschool.tenancy.actor import actor_of_login, system_actor
from afterschool.tenancy.models import Organization, Partnership, Region, School
from afterschool.tenancy.validators import credit_code_check_char

DEMO_PASSWORD = "Kehou@2026"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    note: str


DEMO_LOGINS = [
    DemoLogin(Role.SYSTEM_ADMIN, "admin", "系统管理员"),
    DemoLogin(Role.BUREAU_ADMIN, "bureau", "海淀区教育局"),
    DemoLogin(Role.SCHOOL_ADMIN, "school", "海淀实验小学 学校管理员"),
    DemoLogin(Role.TEACHER, "teacher", "海淀实验小学 教师（兼家长，可切换角色）"),
    DemoLogin(Role.ORG_ADMIN, "orgadmin", "海淀区青少年活动中心 机构管理员"),
    DemoLogin(Role.ORG_TEACHER, "orgteacher", "海淀区青少年活动中心 机构教师"),
    DemoLogin(Role.PARENT, "13800000001", "家长（手机号登录）"),
    DemoLogin(Role.STUDENT, "student", "学生"),
]


def _credit(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def _region(code: str, name: str, parent: Region | None) -> Region:
    existing = Region.objects.filter(code=code).first()
    if existing:
        return existing
    return tenancy_services.region_create(actor=system_actor(), data={"code": code, "name": name, "parent": parent})


def _school(code: str, name: str, school_type: str, region: Region, address: str) -> School:
    existing = School.objects.filter(code=code).first()
    if existing:
        return existing
    return tenancy_services.school_create(
        actor=system_actor(),
        data={
            "code": code,
            "name": name,
            "school_type": school_type,
            "nature": "public",
            "region": region,
            "address": address,
            "contact_phone": "010-62000000",
        },
    )


def _organization(code17: str, name: str, kind: str, region: Region) -> Organization:
    code = _credit(code17)
    existing = Organization.objects.filter(credit_code=code).first()
    if existing:
        return existing
    return tenancy_services.organization_create(
        actor=system_actor(),
        data={
            "credit_code": code,
            "name": name,
            "kind": kind,
            "region": region,
            "contact_name": "王老师",
            "contact_phone": "010-82000000",
            "address": f"{region.name}中关村大街 1 号",
        },
    )


def _user(username: str, display_name: str, role: str, *, mobile: str = "", **scope: object) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user, _ = account_services.user_create(
            actor=system_actor(),
            username=username,
            display_name=display_name,
            mobile=mobile,
            role=role,
            password=DEMO_PASSWORD,
            must_change_password=False,
            **scope,  # type: ignore[arg-type]
        )
    return user


@transaction.atomic
def load_demo() -> dict[str, object]:
    beijing = _region("110000", "北京市", None)
    city = _region("110100", "北京市市辖区", beijing)
    haidian = _region("110108", "海淀区", city)
    school1 = _school("2111080001", "海淀实验小学", "primary", haidian, "海淀区中关村南大街 10 号")
    school2 = _school("3111080002", "海淀第二中学", "junior", haidian, "海淀区学院路 20 号")
    school3 = _school("2111080003", "海淀九年一贯制学校", "nine_year", haidian, "海淀区西三旗 30 号")
    org1 = _organization("52110108MJ0000001", "海淀区青少年活动中心", "activity_center", haidian)
    org2 = _organization("91110108MA0000002", "北京启航科技教育有限公司", "company", haidian)
    if not Partnership.objects.filter(school=school1, organization=org1).exists():
        tenancy_services.partnership_create(
            actor=system_actor(), school=school1, organization=org1, starts_on=dt.date(2026, 9, 1)
        )

    _user("admin", "平台管理员", Role.SYSTEM_ADMIN)
    _user("bureau", "海淀区教育局 张科长", Role.BUREAU_ADMIN, region=haidian)
    _user("school", "海淀实验小学 李主任", Role.SCHOOL_ADMIN, school=school1)
    teacher = _user("teacher", "陈老师", Role.TEACHER, mobile="13800000002", school=school1)
    _user("orgadmin", "活动中心 王主任", Role.ORG_ADMIN, organization=org1)
    _user("orgteacher", "活动中心 赵老师", Role.ORG_TEACHER, mobile="13800000003", organization=org1)
    parent = _user("parent", "刘女士", Role.PARENT, mobile="13800000001")
    student = _user("student", "刘小明", Role.STUDENT, school=school1)
    if not RoleMembership.objects.filter(user=teacher, role=Role.PARENT).exists():
        account_services.membership_grant(actor=system_actor(), user=teacher, role=Role.PARENT)
    admin = User.objects.get(username="admin")
    if not admin.is_staff:
        account_services.user_set_admin_site_access(actor=system_actor(), user=admin, allowed=True)
    population = demo_population_ensure(
        actor=system_actor(), school=school1, teacher=teacher, parent=parent, student_user=student
    )
    courses_created = demo_courses_ensure(school=school1, organizations=[org1, org2])
    sections = demo_sections_ensure(actor=actor_of_login("school", Role.SCHOOL_ADMIN), school=school1)
    attendance = demo_attendance_ensure(school=school1)
    patrols = demo_patrol_ensure(school=school1)
    feedback = demo_feedback_ensure(school=school1)
    # The demo parent also gets SMS and WeChat for what matters most to a family (seen on 模拟短信/微信).
    for kind in ("announcement", "attendance", "leave", "moment"):
        NotificationPreference.objects.get_or_create(user=parent, kind=kind, defaults={"channels": ["sms", "wechat"]})
    announcements = demo_announcements_ensure(school=school1)  # after feedback: it gives more parents a login
    return {
        "announcements": announcements,
        "feedback": feedback,
        "attendance": attendance,
        "patrols": patrols,
        "courses_created": courses_created,
        "sections_created": len(sections),
        "schools": [school1, school2, school3],
        "organizations": [org1, org2],
        "region": haidian,
        "population_created": population,
    }
