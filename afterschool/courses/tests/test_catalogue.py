"""Course catalogue rules (§4.3.1, §5.5.1) through the services and selectors: who writes, who reads, the review
lock, deletion, chapter numbering, materials' prices, files checked by content."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.tests.media_samples import sample_bytes
from afterschool.courses.choices import OfferStatus
from afterschool.courses.models import Chapter, Course, CourseFile, Material
from afterschool.courses.selectors import catalogue as selectors
from afterschool.courses.services import catalogue as services
from afterschool.courses.tests.factories import (
    ChapterFactory,
    CourseFactory,
    CourseOfferFactory,
    MaterialFactory,
)
from afterschool.tenancy.actor import Actor

pytestmark = pytest.mark.django_db

DATA = {"name": "创意美术", "category": "arts", "introduction": "水彩与手工", "grade_levels": [3, 1, 2]}


def org_staff(world: Any, *permissions: str) -> Actor:
    membership = MembershipFactory(
        user=UserFactory(), role="org_staff", organization=world.org_a, permissions=list(permissions)
    )
    return Actor(user=membership.user, membership=membership, permissions=frozenset(membership.permissions))


def school_course(world: Any, school: Any = None, **kwargs: Any) -> Course:
    return CourseFactory(owner_school=school or world.school_a, owner_organization=None, **kwargs)


def names(actor: Actor, **filters: Any) -> set[str]:
    return {c.name for c in selectors.course_list(actor=actor, filters=filters)}


def upload(fmt: str, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sample_bytes(fmt))


# --- who writes -----------------------------------------------------------------------------------


def test_given_school_admin_when_creating_course_then_owned_by_its_school_and_audited(world: Any) -> None:
    course = services.course_create(actor=world.actor("school_a"), data=DATA)
    assert course.owner_school == world.school_a and course.owner_organization is None
    assert course.grade_levels == [1, 2, 3] and course.created_by == world.users["school_a"]
    assert AuditEvent.objects.filter(event="create", object_type="courses.course", object_id=str(course.pk)).exists()


def test_given_org_admin_when_creating_course_then_owned_by_its_organization(world: Any) -> None:
    course = services.course_create(actor=world.actor("org_a"), data=DATA)
    assert course.owner_organization == world.org_a and course.owner_school is None


def test_given_system_admin_when_creating_course_without_owner_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.course_create(actor=world.actor("system"), data=DATA)
    assert "owner_school" in exc.value.detail
    with pytest.raises(ValidationFailed):
        services.course_create(
            actor=world.actor("system"),
            data={**DATA, "owner_school": world.school_a, "owner_organization": world.org_a},
        )
    course = services.course_create(actor=world.actor("system"), data={**DATA, "owner_organization": world.org_b})
    assert course.owner_organization == world.org_b


def test_given_org_staff_without_course_edit_when_creating_then_permission_denied(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.course_create(actor=org_staff(world, "org.course_view"), data=DATA)
    course = services.course_create(actor=org_staff(world, "org.course_view", "org.course_edit"), data=DATA)
    assert course.owner_organization == world.org_a


def test_given_org_staff_without_course_edit_when_editing_own_course_then_permission_denied(world: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a)
    staff = org_staff(world, "org.course_view")
    with pytest.raises(PermissionDenied):
        services.course_update(actor=staff, course=course, data={"name": "改名"})
    with pytest.raises(PermissionDenied):
        services.chapter_create(actor=staff, course=course, data={"title": "第一课"})


@pytest.mark.parametrize("key", ["teacher_a", "bureau_a", "orgteacher_a"])
def test_given_reader_only_role_when_creating_course_then_permission_denied(world: Any, key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.course_create(actor=world.actor(key), data=DATA)


def test_given_school_reading_offered_org_course_when_editing_then_permission_denied(world: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a)
    CourseOfferFactory(course=course, school=world.school_a, status=OfferStatus.REJECTED)
    with pytest.raises(PermissionDenied):
        services.course_update(actor=world.actor("school_a"), course=course, data={"name": "改名"})


@pytest.mark.parametrize("key", ["school_a2", "school_b", "org_a", "org_b"])
def test_given_other_tenant_when_editing_school_course_then_not_found(world: Any, key: str) -> None:
    course = school_course(world)
    with pytest.raises(NotFound):
        services.course_update(actor=world.actor(key), course=course, data={"name": "改名"})
    with pytest.raises(NotFound):
        services.course_delete(actor=world.actor(key), course=course)
    assert Course.objects.get(pk=course.pk).name == course.name


@pytest.mark.parametrize("levels", [[], [0], [13], ["x"], [True], "1,2", [1.5]])
def test_given_bad_grade_levels_when_creating_then_refused(world: Any, levels: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.course_create(actor=world.actor("school_a"), data={**DATA, "grade_levels": levels})
    assert "grade_levels" in exc.value.detail


def test_given_unknown_category_when_creating_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.course_create(actor=world.actor("school_a"), data={**DATA, "category": "cooking"})
    assert "category" in exc.value.detail


# --- who reads ------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(world: Any) -> dict[str, Course]:
    return {
        "a": school_course(world, name="海淀一课"),
        "a2": school_course(world, world.school_a2, name="海淀二课"),
        "b": school_course(world, world.school_b, name="朝阳课"),
        "org_a": CourseFactory(owner_organization=world.org_a, name="中心课"),
        "org_b": CourseFactory(owner_organization=world.org_b, name="公司课"),
    }


def test_given_each_role_when_listing_then_sees_its_scope_only(world: Any, catalogue: dict[str, Course]) -> None:
    assert names(world.actor("system")) == {"海淀一课", "海淀二课", "朝阳课", "中心课", "公司课"}
    assert names(world.actor("bureau_a")) == {"海淀一课", "海淀二课", "中心课"}
    assert names(world.actor("bureau_b")) == {"朝阳课", "公司课"}
    assert names(world.actor("school_a")) == {"海淀一课"}
    assert names(world.actor("teacher_a")) == {"海淀一课"}
    assert names(world.actor("school_a2")) == {"海淀二课"}
    assert names(world.actor("org_a")) == {"中心课"}
    assert names(world.actor("org_b")) == {"公司课"}
    assert names(world.actor("parent")) == set()
    assert names(world.actor("student")) == set()


def test_given_org_staff_without_course_view_when_listing_then_sees_nothing(
    world: Any, catalogue: dict[str, Course]
) -> None:
    assert names(org_staff(world)) == set()
    with pytest.raises(NotFound):
        selectors.course_get(actor=org_staff(world), course_id=catalogue["org_a"].pk)
    assert names(org_staff(world, "org.course_view")) == {"中心课"}


def test_given_org_course_when_offered_to_school_then_school_sees_it(world: Any, catalogue: dict[str, Course]) -> None:
    course = catalogue["org_b"]
    with pytest.raises(NotFound):
        selectors.course_get(actor=world.actor("school_a"), course_id=course.pk)
    CourseOfferFactory(course=course, school=world.school_a)
    assert selectors.course_get(actor=world.actor("school_a"), course_id=course.pk) == course
    assert names(world.actor("school_a")) == {"海淀一课", "公司课"}
    # the bureau of the school's district sees it too; another school of that district does not
    assert "公司课" in names(world.actor("bureau_a"))
    assert "公司课" not in names(world.actor("school_a2"))


def test_given_other_tenant_when_reading_children_then_not_found(world: Any, catalogue: dict[str, Course]) -> None:
    course = catalogue["org_a"]
    chapter = ChapterFactory(course=course, number=1)
    material = MaterialFactory(course=course)
    with pytest.raises(NotFound):
        selectors.chapter_get(actor=world.actor("org_b"), course=course, chapter_id=chapter.pk)
    with pytest.raises(NotFound):
        selectors.material_get(actor=world.actor("org_b"), course=course, material_id=material.pk)
    # a chapter of another course is not reachable through a readable course either
    other = catalogue["org_b"]
    with pytest.raises(NotFound):
        selectors.chapter_get(actor=world.actor("system"), course=other, chapter_id=chapter.pk)


def test_list_filters_by_search_category_owner_grade_and_review_state(world: Any, catalogue: dict[str, Course]) -> None:
    system = world.actor("system")
    Course.objects.filter(pk=catalogue["a"].pk).update(category="sports", grade_levels=[7, 8], introduction="足球")
    CourseOfferFactory(course=catalogue["org_a"], school=world.school_a, status=OfferStatus.APPROVED)
    CourseOfferFactory(course=catalogue["b"], school=world.school_b, status=OfferStatus.SUBMITTED)
    CourseOfferFactory(course=catalogue["org_b"], school=world.school_b, status=OfferStatus.REJECTED)
    CourseOfferFactory(course=catalogue["a2"], school=world.school_a2, status=OfferStatus.RECALLED)
    assert names(system, q="足球") == {"海淀一课"}
    assert names(system, q="朝阳") == {"朝阳课"}
    assert names(system, category="sports") == {"海淀一课"}
    assert names(system, owner_type="organization") == {"中心课", "公司课"}
    assert names(system, owner_type="school") == {"海淀一课", "海淀二课", "朝阳课"}
    assert names(system, grade="8") == {"海淀一课"}
    assert names(system, grade="2") == {"海淀二课", "朝阳课", "中心课", "公司课"}
    assert names(system, grade="x") == names(system)
    assert names(system, review_state="approved") == {"中心课"}
    assert names(system, review_state="submitted") == {"朝阳课"}
    assert names(system, review_state="rejected") == {"公司课"}
    assert names(system, review_state="draft") == {"海淀一课", "海淀二课"}
    labels = {c.name: selectors.review_state_label(c) for c in selectors.course_list(actor=system)}
    assert labels["中心课"] == "已通过" and labels["海淀二课"] == "未提交"


# --- the review lock ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [OfferStatus.SUBMITTED, OfferStatus.APPROVED])
def test_given_offer_submitted_or_approved_when_editing_content_then_refused(world: Any, status: str) -> None:
    course = CourseFactory(owner_organization=world.org_a, name="原名")
    chapter = ChapterFactory(course=course, number=1)
    material = MaterialFactory(course=course)
    attachment = CourseFile.objects.create(
        course=course, name="a.pdf", file="x.pdf", media_kind="document", content_type="application/pdf", size=1
    )
    CourseOfferFactory(course=course, school=world.school_a, status=status)
    actor = world.actor("org_a")
    attempts = [
        lambda: services.course_update(actor=actor, course=course, data={"name": "新名"}),
        lambda: services.chapter_create(actor=actor, course=course, data={"title": "新章"}),
        lambda: services.chapter_update(actor=actor, chapter=chapter, data={"title": "新标题"}),
        lambda: services.chapter_delete(actor=actor, chapter=chapter),
        lambda: services.chapter_move(actor=actor, chapter=chapter, direction="down"),
        lambda: services.material_create(actor=actor, course=course, data={"name": "画笔", "price_fen": 100}),
        lambda: services.material_update(actor=actor, material=material, data={"price_fen": 1}),
        lambda: services.material_delete(actor=actor, material=material),
        lambda: services.course_file_upload(actor=actor, course=course, upload=upload("pdf", "a.pdf")),
        lambda: services.course_file_delete(actor=actor, course_file=attachment),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as exc:
            attempt()
        assert exc.value.message == "课程已提交审核或已通过审核，不能修改；如需修改请先撤回提交"
    course.refresh_from_db()
    assert course.name == "原名" and Chapter.objects.filter(course=course).count() == 1
    assert Material.objects.filter(course=course).count() == 1 and CourseFile.objects.filter(course=course).count() == 1
    # the system admin is held by the lock too
    with pytest.raises(Conflict):
        services.course_update(actor=world.actor("system"), course=course, data={"name": "新名"})


@pytest.mark.parametrize("status", [OfferStatus.REJECTED, OfferStatus.RECALLED, OfferStatus.WITHDRAWN])
def test_given_offer_rejected_or_recalled_when_editing_then_allowed(world: Any, status: str) -> None:
    course = CourseFactory(owner_organization=world.org_a)
    CourseOfferFactory(course=course, school=world.school_a, status=status)
    updated = services.course_update(actor=world.actor("org_a"), course=course, data={"name": "改进后"})
    assert updated.name == "改进后"
    assert AuditEvent.objects.filter(event="update", object_type="courses.course").exists()


# --- deletion -------------------------------------------------------------------------------------


def test_given_course_without_offers_when_deleting_then_gone_with_its_files(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    course = school_course(world)
    ChapterFactory(course=course, number=1)
    row = services.course_file_upload(actor=world.actor("school_a"), course=course, upload=upload("png", "p.png"))
    stored = row.file.name
    assert default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        services.course_delete(actor=world.actor("school_a"), course=course)
    assert not Course.objects.filter(pk=course.pk).exists() and not default_storage.exists(stored)
    assert AuditEvent.objects.filter(event="delete", object_type="courses.course").exists()


@pytest.mark.parametrize("status", [OfferStatus.RECALLED, OfferStatus.REJECTED, OfferStatus.SUBMITTED])
def test_given_course_with_any_offer_when_deleting_then_refused(world: Any, status: str) -> None:
    course = CourseFactory(owner_organization=world.org_a)
    CourseOfferFactory(course=course, school=world.school_a, status=status)
    with pytest.raises(Conflict) as exc:
        services.course_delete(actor=world.actor("org_a"), course=course)
    assert "撤回" in exc.value.message
    assert Course.objects.filter(pk=course.pk).exists()


# --- chapters -------------------------------------------------------------------------------------


def _titles(course: Course) -> list[tuple[int, str]]:
    return list(Chapter.objects.filter(course=course).order_by("number").values_list("number", "title"))


def test_chapters_are_appended_and_renumbered_on_delete(world: Any) -> None:
    actor = world.actor("school_a")
    course = school_course(world)
    for title in ("认识色彩", "线条", "构图", "创作"):
        services.chapter_create(actor=actor, course=course, data={"title": title, "goals": ""})
    assert _titles(course) == [(1, "认识色彩"), (2, "线条"), (3, "构图"), (4, "创作")]
    services.chapter_delete(actor=actor, chapter=Chapter.objects.get(course=course, number=2))
    assert _titles(course) == [(1, "认识色彩"), (2, "构图"), (3, "创作")]
    services.chapter_delete(actor=actor, chapter=Chapter.objects.get(course=course, number=1))
    assert _titles(course) == [(1, "构图"), (2, "创作")]
    services.chapter_create(actor=actor, course=course, data={"title": "展示"})
    assert _titles(course) == [(1, "构图"), (2, "创作"), (3, "展示")]
    assert AuditEvent.objects.filter(event="delete", object_type="courses.chapter").count() == 2


def test_chapter_move_swaps_with_neighbour_and_refuses_at_the_edges(world: Any) -> None:
    actor = world.actor("org_a")
    course = CourseFactory(owner_organization=world.org_a)
    for title in ("一", "二", "三"):
        services.chapter_create(actor=actor, course=course, data={"title": title})
    third = Chapter.objects.get(course=course, title="三")
    services.chapter_move(actor=actor, chapter=third, direction="up")
    assert _titles(course) == [(1, "一"), (2, "三"), (3, "二")]
    services.chapter_move(actor=actor, chapter=third, direction="up")
    assert _titles(course) == [(1, "三"), (2, "一"), (3, "二")]
    with pytest.raises(Conflict):
        services.chapter_move(actor=actor, chapter=third, direction="up")
    services.chapter_move(actor=actor, chapter=Chapter.objects.get(course=course, title="一"), direction="down")
    assert _titles(course) == [(1, "三"), (2, "二"), (3, "一")]
    with pytest.raises(Conflict):
        services.chapter_move(actor=actor, chapter=Chapter.objects.get(course=course, title="一"), direction="down")
    with pytest.raises(ValidationFailed):
        services.chapter_move(actor=actor, chapter=third, direction="sideways")


def test_given_gaps_left_by_others_when_moving_then_numbers_become_contiguous(world: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a)
    ChapterFactory(course=course, number=2, title="甲")
    ChapterFactory(course=course, number=5, title="乙")
    ChapterFactory(course=course, number=9, title="丙")
    services.chapter_move(
        actor=world.actor("org_a"), chapter=Chapter.objects.get(course=course, title="丙"), direction="up"
    )
    assert _titles(course) == [(1, "甲"), (2, "丙"), (3, "乙")]


def test_given_blank_title_when_adding_chapter_then_refused(world: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.chapter_create(actor=world.actor("school_a"), course=school_course(world), data={"title": "  "})
    assert "title" in exc.value.detail


# --- materials ------------------------------------------------------------------------------------


def test_material_price_is_integer_fen_within_bounds(world: Any) -> None:
    actor = world.actor("school_a")
    course = school_course(world)
    material = services.material_create(
        actor=actor, course=course, data={"name": "水彩笔", "quantity": 2, "price_fen": 3550}
    )
    assert material.price_fen == 3550
    for bad in (-1, services.MAX_PRICE_FEN + 1, 12.5, "100"):
        with pytest.raises(ValidationFailed) as exc:
            services.material_update(actor=actor, material=material, data={"price_fen": bad})
        assert "price_fen" in exc.value.detail
    with pytest.raises(ValidationFailed):
        services.material_update(actor=actor, material=material, data={"quantity": 0})
    material.refresh_from_db()
    assert material.price_fen == 3550 and material.quantity == 2


@pytest.mark.parametrize(("text", "fen"), [("35.5", 3550), ("0", 0), ("0.01", 1), ("99999.99", 9_999_999)])
def test_yuan_to_fen_converts_exactly(text: str, fen: int) -> None:
    assert services.yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["-1", "1.234", "abc", "100000", "NaN", "Infinity"])
def test_yuan_to_fen_refuses_bad_amounts(text: str) -> None:
    with pytest.raises(ValidationFailed):
        services.yuan_to_fen(text)


# --- files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name", "kind"), [("pdf", "教案.pdf", "document"), ("mp4", "示范.mp4", "video")])
def test_given_valid_file_when_uploading_then_stored_with_kind_from_content(
    world: Any, fmt: str, name: str, kind: str
) -> None:
    course = school_course(world)
    chapter = ChapterFactory(course=course, number=1)
    row = services.course_file_upload(
        actor=world.actor("school_a"), course=course, upload=upload(fmt, name), chapter=chapter
    )
    assert row.media_kind == kind and row.chapter == chapter and row.name == name
    assert row.file.name.endswith(f".{fmt}") and name not in row.file.name
    assert row.size == len(sample_bytes(fmt))
    assert AuditEvent.objects.filter(event="create", object_type="courses.coursefile").exists()


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("exe", "setup.exe"), ("exe", "setup.pdf"), ("mp4_hevc", "clip.mp4"), ("png", "renamed.pdf"), ("empty", "a.pdf")],
)
def test_given_bad_file_when_uploading_then_refused_in_chinese(world: Any, fmt: str, name: str) -> None:
    course = school_course(world)
    with pytest.raises(ValidationFailed) as exc:
        services.course_file_upload(actor=world.actor("school_a"), course=course, upload=upload(fmt, name))
    assert exc.value.detail["file"] and not CourseFile.objects.exists()


def test_given_small_size_limit_when_uploading_larger_file_then_refused(world: Any, settings: Any) -> None:
    settings.MEDIA_SIZE_LIMITS = {"document": 100, "image": 100, "audio": 100, "video": 100}
    with pytest.raises(ValidationFailed) as exc:
        services.course_file_upload(
            actor=world.actor("school_a"), course=school_course(world), upload=upload("pdf", "big.pdf")
        )
    assert "过大" in exc.value.detail["file"][0]


def test_given_file_when_deleted_then_row_and_stored_file_gone(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    actor = world.actor("org_a")
    course = CourseFactory(owner_organization=world.org_a)
    row = services.course_file_upload(actor=actor, course=course, upload=upload("jpg", "封面.jpg"))
    stored = row.file.name
    assert default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        services.course_file_delete(actor=actor, course_file=row)
    assert not CourseFile.objects.exists() and not default_storage.exists(stored)
    assert AuditEvent.objects.filter(event="delete", object_type="courses.coursefile").exists()
