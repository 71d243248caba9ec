"""学校公告 (§5.4.5): who receives an announcement per audience (computed by queries, each person once), the rules
of sending (school admins only, the school's own grade/class/section, an audience with nobody refused), the
notifications written with it, who may read it afterwards, and the demo loader."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.models import AuditEvent, User
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.tests.factories import freeze
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.courses.tests.factories import DispatchFactory, OrgTeacherFactory
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.notifications.choices import Audience, NotificationKind
from afterschool.notifications.models import Announcement, Notification
from afterschool.notifications.selectors import announcements as selectors
from afterschool.notifications.services import announcements as services
from afterschool.notifications.services.demo import demo_announcements_ensure
from afterschool.scheduling.models import Section
from afterschool.scheduling.tests.factories import SectionFactory
from afterschool.schools.models import Grade, SchoolClass, Student
from afterschool.schools.tests.factories import (
    GradeFactory,
    GuardianFactory,
    SchoolClassFactory,
    StaffFactory,
    StudentFactory,
    StudentGuardianFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class Example:
    world: Any
    grade1: Grade
    grade2: Grade
    g1c1: SchoolClass
    g1c2: SchoolClass
    g2c1: SchoolClass
    empty_class: SchoolClass
    section: Section
    students: dict[str, Student]
    parents: dict[str, User]
    other_grade: Grade  # school_b's
    other_class: SchoolClass
    other_section: Section


def _parent(username: str) -> User:
    user = UserFactory(username=username)
    MembershipFactory(user=user, role=Role.PARENT)
    return user


def _child(school_class: SchoolClass, name: str, *guardian_users: User | None, active: bool = True) -> Student:
    student = StudentFactory(school_class=school_class, grade=school_class.grade, name=name, is_active=active)
    for user in guardian_users:
        StudentGuardianFactory(student=student, guardian=GuardianFactory(user=user))
    return student


def make_example(world: Any) -> Example:
    """school_a: 一年级 (1班, 2班, 3班 without families), 二年级 (1班); a section with two active places and a
    withdrawn one. Families: 'twice' has children in 一年级1班 and 二年级1班; the world's parent a child in 一年级2班;
    'gone' only a child who left school (一年级1班); 'withdrawn' a child in 二年级1班 whose place was withdrawn; one
    guardian has no login. Teachers: teacher_a (active staff, teacher login), a former staff member with a
    teacher login, a staff member without one, orgteacher_a (active dispatch), org teachers with a cancelled or an
    ended dispatch, or one to school_b. school_b has its own grade, class, section and parent."""
    school, other = world.school_a, world.school_b
    grade1 = GradeFactory(school=school, level=1, name="一年级")
    grade2 = GradeFactory(school=school, level=2, name="二年级")
    g1c1 = SchoolClassFactory(grade=grade1, name="1班")
    g1c2 = SchoolClassFactory(grade=grade1, name="2班")
    empty_class = SchoolClassFactory(grade=grade1, name="3班")
    g2c1 = SchoolClassFactory(grade=grade2, name="1班")
    parents = {
        "twice": _parent("p_twice"), "world": world.users["parent"], "gone": _parent("p_gone"),
        "withdrawn": _parent("p_withdrawn"), "other": _parent("p_other"),
    }  # fmt: skip
    students = {
        "twice_1": _child(g1c1, "大宝", parents["twice"]),
        "twice_2": _child(g2c1, "二宝", parents["twice"]),
        "world": _child(g1c2, "刘雨涵", parents["world"], None),
        "gone": _child(g1c1, "转学生", parents["gone"], active=False),
        "withdrawn": _child(g2c1, "退课生", parents["withdrawn"]),
        "no_login": _child(g1c1, "无账号", None),
    }
    section = SectionFactory(school=school, name="少儿创意美术", status="running")
    EnrollmentFactory(section=section, student=students["twice_1"])
    EnrollmentFactory(section=section, student=students["world"])
    EnrollmentFactory(section=section, student=students["withdrawn"], status="withdrawn")
    EnrollmentFactory(section=section, student=students["no_login"])

    StaffFactory(school=school, user=world.users["teacher_a"], name="王老师")
    former = UserFactory(username="t_former")
    MembershipFactory(user=former, role=Role.TEACHER, school=school)
    StaffFactory(school=school, user=former, is_active=False)
    StaffFactory(school=school, user=UserFactory(username="t_nologin"))  # a staff account without a teacher role
    dispatched = OrgTeacherFactory(organization=world.org_a, user=world.users["orgteacher_a"])
    DispatchFactory(teacher=dispatched, school=school)
    for username, kwargs in (
        ("ot_cancelled", {"school": school, "status": "cancelled"}),
        ("ot_ended", {"school": school, "ends_on": dt.date(2026, 10, 1)}),
        ("ot_elsewhere", {"school": other}),
    ):
        user = UserFactory(username=username)
        MembershipFactory(user=user, role=Role.ORG_TEACHER, organization=world.org_a)
        DispatchFactory(teacher=OrgTeacherFactory(organization=world.org_a, user=user), **kwargs)

    other_grade = GradeFactory(school=other, level=1, name="一年级")
    other_class = SchoolClassFactory(grade=other_grade, name="1班")
    other_child = _child(other_class, "朝阳学生", parents["other"])
    other_section = SectionFactory(school=other, name="朝阳机器人", status="running")
    EnrollmentFactory(section=other_section, student=other_child)
    return Example(
        world, grade1, grade2, g1c1, g1c2, g2c1, empty_class, section, students, parents, other_grade, other_class,
        other_section,
    )  # fmt: skip


@pytest.fixture
def ex(world: Any, monkeypatch: Any) -> Example:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 12, 0))
    return make_example(world)


def _names(users: Any) -> set[str]:
    return {u.username for u in users}


# --- recipients -------------------------------------------------------------------------------------------------


def test_all_parents_are_the_guardians_with_a_login_of_the_schools_students_each_once(ex: Example) -> None:
    users = selectors.recipient_users(school=ex.world.school_a, audience=Audience.ALL_PARENTS)
    assert _names(users) == {"p_twice", "parent1", "p_withdrawn"}  # not the leaver's, not school_b's
    assert users.count() == 3


def test_a_grade_and_a_class_reach_their_students_parents(ex: Example) -> None:
    school = ex.world.school_a
    grade = selectors.recipient_users(school=school, audience=Audience.GRADE, grade=ex.grade1)
    assert _names(grade) == {"p_twice", "parent1"}
    klass = selectors.recipient_users(school=school, audience=Audience.CLASS, school_class=ex.g1c1)
    assert _names(klass) == {"p_twice"}
    grade2 = selectors.recipient_users(school=school, audience=Audience.GRADE, grade=ex.grade2)
    assert _names(grade2) == {"p_twice", "p_withdrawn"}


def test_a_section_reaches_the_parents_of_active_places_only(ex: Example) -> None:
    users = selectors.recipient_users(school=ex.world.school_a, audience=Audience.SECTION, section=ex.section)
    assert _names(users) == {"p_twice", "parent1"}  # the withdrawn place's parent is not told


def test_teachers_are_active_staff_with_a_teacher_login_and_dispatched_org_teachers(ex: Example) -> None:
    users = selectors.recipient_users(school=ex.world.school_a, audience=Audience.TEACHERS)
    assert _names(users) == {"teacher_a", "orgteacher_a"}


def test_preview_counts_and_names_the_audience(ex: Example) -> None:
    actor = ex.world.actor("school_a")
    preview = services.announcement_preview(actor=actor, data={"audience": Audience.CLASS, "school_class": ex.g1c1.pk})
    assert (preview.recipient_count, preview.audience_label) == (1, "一年级1班家长")
    data = {"audience": "all_parents"}
    assert services.announcement_recipients_count(actor=actor, data=data) == 3
    assert services.announcement_recipients_count(actor=actor, data={"audience": "teachers"}) == 2


def test_recipients_are_counted_in_a_few_queries_whatever_the_school_size(
    ex: Example, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        _child(ex.g1c2, f"学生{n}", _parent(f"bulk{n}"))
    actor = ex.world.actor("school_a")
    with django_assert_max_num_queries(4):
        assert services.announcement_recipients_count(actor=actor, data={"audience": "all_parents"}) == 33


# --- sending ----------------------------------------------------------------------------------------------------


def test_send_writes_one_notification_per_recipient_in_the_same_transaction(ex: Example) -> None:
    actor = ex.world.actor("school_a")
    data = {"audience": "grade", "grade": ex.grade1.pk, "title": " 明天停课 ", "body": "因天气原因，明天课后服务暂停。"}
    announcement = services.announcement_send(actor=actor, data=data)
    assert announcement.recipient_count == 2
    assert (announcement.title, announcement.school, announcement.grade) == ("明天停课", ex.world.school_a, ex.grade1)
    assert announcement.author == ex.world.users["school_a"]
    rows = Notification.objects.filter(kind=NotificationKind.ANNOUNCEMENT)
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["p_twice", "parent1"]
    note = rows.get(recipient=ex.parents["twice"])  # the parent of two children in 一年级? one of them: one row
    assert note.title == "明天停课"
    assert note.body == "因天气原因，明天课后服务暂停。"
    assert note.link == f"/notifications/announcements/{announcement.pk}/"
    assert note.data["announcement_id"] == announcement.pk
    audit = AuditEvent.objects.filter(event=AuditEventType.CREATE, object_id=str(announcement.pk)).get()
    assert audit.detail["recipient_count"] == 2


def test_a_parent_of_two_children_gets_one_notification(ex: Example) -> None:
    announcement = services.announcement_send(
        actor=ex.world.actor("school_a"), data={"audience": "all_parents", "title": "通知", "body": "内容"}
    )
    assert announcement.recipient_count == 3
    assert Notification.objects.filter(recipient=ex.parents["twice"]).count() == 1
    assert Notification.objects.filter(kind="announcement").count() == 3


def test_teachers_announcement_reaches_the_dispatched_org_teacher(ex: Example) -> None:
    announcement = services.announcement_send(
        actor=ex.world.actor("school_a"), data={"audience": "teachers", "title": "教师会议", "body": "周五开会"}
    )
    assert announcement.recipient_count == 2
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"teacher_a", "orgteacher_a"}


@pytest.mark.parametrize(
    ("audience", "field", "attr"),
    [
        ("grade", "grade", "other_grade"),
        ("class", "school_class", "other_class"),
        ("section", "section", "other_section"),
    ],
)
def test_another_schools_target_is_refused_without_naming_it(ex: Example, audience: str, field: str, attr: str) -> None:
    data = {"audience": audience, field: getattr(ex, attr).pk, "title": "通知", "body": "内容"}
    with pytest.raises(ValidationFailed) as exc:
        services.announcement_send(actor=ex.world.actor("school_a"), data=data)
    assert list(exc.value.detail) == [field]
    assert "朝阳" not in str(exc.value.detail)
    assert not Announcement.objects.exists() and not Notification.objects.exists()


def test_a_target_the_audience_needs_is_required(ex: Example) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.announcement_send(
            actor=ex.world.actor("school_a"), data={"audience": "class", "title": "a", "body": "b"}
        )
    assert exc.value.detail == {"school_class": ["请选择本校的班级"]}


def test_an_audience_nobody_would_receive_is_refused(ex: Example) -> None:
    data = {"audience": "class", "school_class": ex.empty_class.pk, "title": "通知", "body": "内容"}
    with pytest.raises(ValidationFailed) as exc:
        services.announcement_send(actor=ex.world.actor("school_a"), data=data)
    assert exc.value.code == "no_recipients"
    assert exc.value.message == "没有可通知的对象"
    assert not Announcement.objects.exists()


@pytest.mark.parametrize(
    ("title", "body", "errors"),
    [
        ("", "内容", {"title": ["请填写标题"]}),
        ("   ", "", {"title": ["请填写标题"], "body": ["请填写内容"]}),
        ("标" * 61, "内容", {"title": ["标题最多 60 字"]}),
        ("标题", "字" * 2001, {"body": ["内容最多 2000 字"]}),
        ("标\x00题", "内容", {"title": ["标题含有不可用的字符"]}),
    ],
)
def test_title_and_body_are_checked(ex: Example, title: str, body: str, errors: dict[str, list[str]]) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.announcement_send(
            actor=ex.world.actor("school_a"), data={"audience": "all_parents", "title": title, "body": body}
        )
    assert exc.value.detail == errors


def test_the_longest_title_and_body_are_accepted(ex: Example) -> None:
    announcement = services.announcement_send(
        actor=ex.world.actor("school_a"), data={"audience": "all_parents", "title": "标" * 60, "body": "字" * 2000}
    )
    assert len(Notification.objects.get(recipient=ex.parents["world"]).body) == 2000
    assert len(announcement.title) == 60


@pytest.mark.parametrize("key", ["teacher_a", "parent", "bureau_a", "org_a", "orgteacher_a", "student"])
def test_only_school_admins_send(ex: Example, key: str) -> None:
    data = {"audience": "all_parents", "title": "通知", "body": "内容"}
    with pytest.raises(PermissionDenied):
        services.announcement_send(actor=ex.world.actor(key), data=data)
    with pytest.raises(PermissionDenied):
        services.announcement_recipients_count(actor=ex.world.actor(key), data=data)


def test_a_school_admin_cannot_send_for_another_school(ex: Example) -> None:
    data = {"school": ex.world.school_b.pk, "audience": "all_parents", "title": "通知", "body": "内容"}
    with pytest.raises(NotFound):
        services.announcement_send(actor=ex.world.actor("school_a"), data=data)


def test_a_system_admin_names_the_school(ex: Example) -> None:
    actor = ex.world.actor("system")
    with pytest.raises(ValidationFailed) as exc:
        services.announcement_send(actor=actor, data={"audience": "all_parents", "title": "通知", "body": "内容"})
    assert exc.value.detail == {"school": ["请选择学校"]}
    data = {"school": ex.world.school_b.pk, "audience": "all_parents", "title": "通知", "body": "内容"}
    announcement = services.announcement_send(actor=actor, data=data)
    assert announcement.school == ex.world.school_b
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["p_other"]


# --- reading ----------------------------------------------------------------------------------------------------


def _sent(ex: Example, **data: Any) -> Announcement:
    return services.announcement_send(actor=ex.world.actor("school_a"), data={"title": "通知", "body": "内容", **data})


def test_recipients_read_it_and_nobody_else_does(ex: Example) -> None:
    announcement = _sent(ex, audience="class", school_class=ex.g1c2.pk)  # the world's parent only
    assert selectors.announcement_get(actor=ex.world.actor("parent"), announcement_id=announcement.pk) == announcement
    for key in ("teacher_a", "orgteacher_a", "student", "org_a", "school_a2", "school_b", "bureau_b"):
        with pytest.raises(NotFound):
            selectors.announcement_get(actor=ex.world.actor(key), announcement_id=announcement.pk)
    assert [a.pk for a in selectors.announcement_list(actor=ex.world.actor("parent"))] == [announcement.pk]
    assert not selectors.announcement_list(actor=ex.world.actor("teacher_a")).exists()


def test_the_school_and_its_bureau_read_every_announcement_of_the_school(ex: Example) -> None:
    first = _sent(ex, audience="teachers")
    second = _sent(ex, audience="all_parents")
    for key in ("school_a", "bureau_a", "system"):
        assert [a.pk for a in selectors.announcement_list(actor=ex.world.actor(key))] == [second.pk, first.pk]
        assert selectors.announcement_get(actor=ex.world.actor(key), announcement_id=first.pk) == first
    assert not selectors.announcement_list(actor=ex.world.actor("bureau_b")).exists()
    assert not selectors.announcement_list(actor=ex.world.actor("school_a2")).exists()


def test_list_filters(ex: Example) -> None:
    teachers = _sent(ex, audience="teachers", title="教师例会")
    parents = _sent(ex, audience="all_parents", title="放假通知")
    actor = ex.world.actor("bureau_a")
    assert [a.pk for a in selectors.announcement_list(actor=actor, filters={"audience": "teachers"})] == [teachers.pk]
    assert [a.pk for a in selectors.announcement_list(actor=actor, filters={"q": "放假"})] == [parents.pk]
    Announcement.objects.filter(pk=teachers.pk).update(created_at=dt.datetime(2026, 9, 1, 4, tzinfo=dt.UTC))
    dated = selectors.announcement_list(actor=actor, filters={"date_to": dt.date(2026, 9, 30)})
    assert [a.pk for a in dated] == [teachers.pk]
    assert not selectors.announcement_list(actor=actor, filters={"school": ex.world.school_a2.pk}).exists()


def test_id_out_of_range_is_not_found(ex: Example) -> None:
    with pytest.raises(NotFound):
        selectors.announcement_get(actor=ex.world.actor("school_a"), announcement_id=2**70)


# --- demo -------------------------------------------------------------------------------------------------------


def test_demo_sends_two_announcements_once(ex: Example) -> None:
    user = UserFactory(username="school")
    MembershipFactory(user=user, role=Role.SCHOOL_ADMIN, school=ex.world.school_a)
    created = demo_announcements_ensure(school=ex.world.school_a)
    assert created == {"announcements": 2, "notifications": 3 + 1}
    titles = set(Announcement.objects.values_list("title", "audience"))
    assert titles == {("关于课后服务延时的通知", "all_parents"), ("一年级1班 本周五课后服务调整", "class")}
    assert demo_announcements_ensure(school=ex.world.school_a) == {"announcements": 0, "notifications": 0}
    assert Announcement.objects.count() == 2
