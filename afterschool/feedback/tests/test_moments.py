"""Classroom moments — services and selectors: posting (who, when, text, files checked by content, thumbnails and
poster frames, the 9-file limit), review (only pending, reason to reject, who is told), deletion by the author, and who
sees what (families only approved moments of their children's sections; pending and rejected ones only the author and
the school's admins; the bureau its region's approved ones)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from afterschool.accounts.choices import Role
from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.tests.factories import freeze, make_day
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.tests.media_samples import sample_upload
from afterschool.enrollment.tests.factories import EnrollmentFactory
from afterschool.feedback.models import Moment, MomentMedia
from afterschool.feedback.selectors import moments as selectors
from afterschool.feedback.services import moments as services
from afterschool.feedback.tests.factories import MomentFactory, MomentMediaFactory, picture_upload, video_upload
from afterschool.notifications.models import Notification
from afterschool.scheduling.tests.factories import LessonFactory, SectionFactory, SectionTeacherFactory
from afterschool.schools.tests.factories import GuardianFactory, StudentFactory, StudentGuardianFactory

T = dt.time


@pytest.fixture
def day(world: Any, monkeypatch: Any) -> Any:
    """make_day, at 17:00 on Tuesday 10 November 2026 (the day's lesson, 15:40–16:40, is over)."""
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    d = make_day(world)
    d.teacher.display_name = "王老师"
    d.teacher.save(update_fields=["display_name"])
    return d


def _user(role: str, **scope: Any) -> Any:
    user = UserFactory()
    MembershipFactory(user=user, role=role, **scope)
    return user


def _actor(user: Any) -> Any:
    from afterschool.tenancy.actor import Actor

    membership = user.memberships.get()
    return Actor(user=user, membership=membership, permissions=frozenset(membership.permissions))


def _moment(day: Any, status: str = "approved", lesson: Any = None, author: Any = None, **kw: Any) -> Moment:
    return MomentFactory(lesson=lesson or day.today, author=author or day.teacher, status=status, **kw)


def _post(day: Any, files: list[Any] | None = None, posters: dict[int, Any] | None = None, **kw: Any) -> Moment:
    return services.moment_post(
        actor=day.world.actor("teacher_a"), lesson=kw.pop("lesson", day.today), text=kw.pop("text", "认识三原色"),
        files=files or [], posters=posters, **kw,
    )  # fmt: skip


def _visible(actor: Any) -> set[int]:
    return set(selectors.moment_list(actor=actor).values_list("pk", flat=True))


# --- posting ----------------------------------------------------------------------------------------------------


def test_teacher_posts_a_moment_with_a_photo_and_the_school_admins_are_told(day: Any) -> None:
    moment = _post(day, files=[picture_upload("colours.png", (1600, 1200))])
    assert moment.status == "pending" and moment.section == day.section and moment.author == day.teacher
    media = MomentMedia.objects.get(moment=moment)
    assert (media.kind, media.content_type, media.width, media.height) == ("image", "image/png", 1600, 1200)
    assert media.file.name.startswith("moments/2026/11/") and media.file.name.endswith(".png")
    with default_storage.open(media.preview.name) as thumb:
        image = Image.open(thumb)
        assert image.format == "JPEG" and max(image.size) == 480
    note = Notification.objects.get(recipient=day.world.users["school_a"])
    assert (note.kind, note.title) == ("moment", "有新的课堂风采待审核")
    assert "王老师" in note.body and "11月10日 15:40" in note.body and note.link == "/feedback/moments/review/"
    assert not Notification.objects.exclude(recipient=day.world.users["school_a"]).exists()
    assert AuditEvent.objects.filter(event="create", object_type__icontains="moment", object_id=str(moment.pk)).exists()


def test_text_only_moment_is_allowed_and_text_is_required(day: Any) -> None:
    assert _post(day, text="  只有文字  ").text == "只有文字"
    with pytest.raises(ValidationFailed) as empty:
        _post(day, text="   ")
    assert empty.value.code == "text_required" and empty.value.detail == {"text": ["请填写课堂小结"]}
    with pytest.raises(ValidationFailed) as long:
        _post(day, text="字" * 1001)
    assert long.value.code == "text_too_long"


def test_a_lesson_of_today_may_be_posted_before_it_starts_but_not_a_future_or_cancelled_one(
    day: Any, monkeypatch: Any
) -> None:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 9, 0))  # the day's lesson is at 15:40
    assert _post(day).lesson == day.today
    with pytest.raises(ValidationFailed) as future:
        _post(day, lesson=day.future)
    assert future.value.code == "lesson_not_started"
    assert "11月17日 15:40 的课还没到" in future.value.message
    day.past.status = "cancelled"
    day.past.save(update_fields=["status"])
    with pytest.raises(ValidationFailed) as cancelled:
        _post(day, lesson=day.past)
    assert cancelled.value.code == "lesson_cancelled"


def test_only_a_teacher_of_the_lesson_posts(day: Any) -> None:
    other_teacher = _user(Role.TEACHER, school=day.school)
    with pytest.raises(NotFound):
        services.moment_post(actor=_actor(other_teacher), lesson=day.today, text="x")
    with pytest.raises(PermissionDenied):
        services.moment_post(actor=day.world.actor("school_a"), lesson=day.today, text="x")
    with pytest.raises(NotFound):
        selectors.lesson_for_moment(actor=day.world.actor("teacher_a"), lesson_id=day.other_lesson.pk)
    assert not Moment.objects.exists()


def test_an_org_teacher_of_the_lesson_posts(day: Any) -> None:
    org_teacher = day.world.users["orgteacher_a"]
    day.today.teachers.add(org_teacher)
    moment = services.moment_post(actor=day.world.actor("orgteacher_a"), lesson=day.today, text="机构老师的小结")
    assert moment.author == org_teacher


def test_ten_files_are_refused_and_nothing_is_stored(day: Any) -> None:
    before = set(_stored_names())
    with pytest.raises(ValidationFailed) as refused:
        _post(day, files=[picture_upload(f"p{i}.png", (40, 30)) for i in range(10)])
    assert refused.value.code == "too_many_files"
    assert refused.value.detail == {"files": ["最多上传 9 个图片或视频（本次选了 10 个）"]}
    assert not Moment.objects.exists() and set(_stored_names()) == before


def test_nine_files_are_accepted_in_order(day: Any) -> None:
    moment = _post(day, files=[picture_upload(f"p{i}.png", (40 + i, 30)) for i in range(9)])
    assert list(moment.media.values_list("position", "width")) == [(i, 40 + i) for i in range(9)]


def test_files_are_checked_by_content_and_every_problem_is_named(day: Any) -> None:
    text_as_png = sample_upload("text", name="fake.png")
    hevc = sample_upload("mp4_hevc", name="movie.mp4")
    pdf = sample_upload("pdf")
    with pytest.raises(ValidationFailed) as refused:
        _post(day, files=[picture_upload(), text_as_png, hevc, pdf])
    problems = refused.value.detail["files"]
    assert problems[0].startswith("第 2 个文件（fake.png）：不支持的文件格式")
    assert problems[1].startswith("第 3 个文件（movie.mp4）：视频须为 H.264 编码")
    assert (
        problems[2]
        == "第 4 个文件（sample.pdf）：此处不接受 PDF 文档：只接受 JPG、PNG 图片或 MP4（H.264 视频、AAC 音频）视频"
    )
    assert refused.value.code == "file_refused" and not Moment.objects.exists()


def test_a_png_whose_pixels_cannot_be_decoded_is_refused(day: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from afterschool.feedback.tests.factories import picture_bytes

    truncated = SimpleUploadedFile("cut.png", picture_bytes((400, 300))[:80])
    with pytest.raises(ValidationFailed) as refused:
        _post(day, files=[truncated])
    assert refused.value.detail == {"files": ["第 1 个文件（cut.png）：图片无法读取（文件可能已损坏）"]}


def test_a_video_keeps_its_poster_frame_as_preview(day: Any) -> None:
    poster = picture_upload("poster_1.png", (1280, 720))
    moment = _post(day, files=[picture_upload(), video_upload()], posters={1: poster})
    photo, video = moment.media.order_by("position")
    assert (video.kind, video.content_type, video.width, video.height) == ("video", "video/mp4", 1280, 720)
    assert video.file.name.endswith(".mp4") and video.preview.name.endswith("-preview.jpg")
    with default_storage.open(video.preview.name) as frame:
        assert Image.open(frame).size == (480, 270)
    assert photo.kind == "image" and photo.preview


def test_a_video_without_poster_has_no_preview(day: Any) -> None:
    video = _post(day, files=[video_upload()]).media.get()
    assert video.kind == "video" and not video.preview and video.width is None


def test_a_poster_must_be_a_picture_of_a_video(day: Any) -> None:
    with pytest.raises(ValidationFailed) as not_a_picture:
        _post(day, files=[video_upload()], posters={0: sample_upload("text", name="poster.png")})
    assert not_a_picture.value.detail["files"][0].startswith("第 1 个文件（clip.mp4）的封面：不支持的文件格式")
    with pytest.raises(ValidationFailed) as for_a_photo:
        _post(day, files=[picture_upload()], posters={0: picture_upload("poster.png")})
    assert for_a_photo.value.detail == {"files": ["封面 poster_0 没有对应的视频（第 1 个文件是图片）"]}
    with pytest.raises(ValidationFailed) as nothing:
        _post(day, files=[video_upload()], posters={5: picture_upload("poster.png")})
    assert nothing.value.detail == {"files": ["封面 poster_5 没有对应的视频"]}
    assert not Moment.objects.exists()


def test_a_failed_write_removes_the_stored_files(day: Any, monkeypatch: Any) -> None:
    before = set(_stored_names())

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("database down")

    monkeypatch.setattr(services, "_moment_create", broken)
    with pytest.raises(RuntimeError):
        _post(day, files=[picture_upload(), video_upload()], posters={1: picture_upload("poster.png")})
    assert set(_stored_names()) == before


def _stored_names() -> list[str]:
    found: list[str] = []

    def walk(path: str) -> None:
        try:
            dirs, files = default_storage.listdir(path)
        except FileNotFoundError:
            return
        found.extend(f"{path}/{f}" for f in files)
        for d in dirs:
            walk(f"{path}/{d}")

    walk("moments")
    return found


# --- review -------------------------------------------------------------------------------------------------------


def _family_of_section(day: Any) -> dict[str, Any]:
    """A login for the second student's guardian and for the third student itself; a former student's guardian."""
    second_guardian = day.students[1].guardians.get()
    second_guardian.user = UserFactory()
    second_guardian.save(update_fields=["user"])
    student_login = day.world.users["student"]
    day.students[2].user = student_login
    day.students[2].save(update_fields=["user"])
    gone = StudentFactory(school_class=day.school_class, grade=day.school_class.grade)
    EnrollmentFactory(section=day.section, student=gone, status="withdrawn")
    gone_guardian = GuardianFactory(user=UserFactory())
    StudentGuardianFactory(student=gone, guardian=gone_guardian)
    return {"second": second_guardian.user, "student": student_login, "gone": gone_guardian.user}


def test_approval_tells_the_families_of_the_section_and_the_author(day: Any) -> None:
    family = _family_of_section(day)
    moment = _moment(day, status="pending")
    done = services.moment_review(actor=day.world.actor("school_a"), moment=moment, approve=True)
    assert done.status == "approved" and done.reviewed_by == day.world.users["school_a"] and done.reviewed_at
    told = {n.recipient_id: n for n in Notification.objects.filter(kind="moment")}
    families = {day.world.users["parent"].pk, family["second"].pk, family["student"].pk}
    assert set(told) == families | {day.teacher.pk}
    note = told[day.world.users["parent"].pk]
    assert note.title == f"课堂风采：{day.section.course.name}" and note.link == "/feedback/feed/"
    assert note.body.startswith("王老师发布了 11月10日 15:40 的课堂风采：今天我们学习了色彩搭配")
    assert told[day.teacher.pk].title == "课堂风采已通过审核"
    assert family["gone"].pk not in told  # held a place, has no active one now
    assert AuditEvent.objects.filter(event="update", object_id=str(moment.pk)).exists()


def test_rejection_needs_a_reason_and_tells_only_the_author(day: Any) -> None:
    moment = _moment(day, status="pending")
    school = day.world.actor("school_a")
    with pytest.raises(ValidationFailed) as no_reason:
        services.moment_review(actor=school, moment=moment, approve=False, reason="  ")
    assert no_reason.value.detail == {"reason": ["请填写驳回原因"]}
    done = services.moment_review(actor=school, moment=moment, approve=False, reason="照片有学生正脸特写")
    assert (done.status, done.reject_reason) == ("rejected", "照片有学生正脸特写")
    note = Notification.objects.get(kind="moment")
    assert note.recipient == day.teacher and note.title == "课堂风采未通过审核"
    assert note.body.endswith("驳回原因：照片有学生正脸特写") and note.link == "/feedback/moments/mine/"


def test_only_a_pending_moment_is_decided(day: Any) -> None:
    moment = _moment(day, status="pending")
    school = day.world.actor("school_a")
    services.moment_review(actor=school, moment=moment, approve=True)
    with pytest.raises(Conflict) as again:
        services.moment_review(actor=school, moment=moment, approve=False, reason="改主意了")
    assert again.value.code == "moment_decided" and again.value.status == 409
    assert again.value.message == "这条课堂风采已通过，不能再审核"


def test_only_the_schools_admins_review(day: Any) -> None:
    moment = _moment(day, status="pending")
    with pytest.raises(PermissionDenied):
        services.moment_review(actor=day.world.actor("teacher_a"), moment=moment, approve=True)
    with pytest.raises(PermissionDenied):
        services.moment_review(actor=day.world.actor("school_b"), moment=moment, approve=True)
    with pytest.raises(NotFound):  # the page and API look it up first: another school's admin never finds it
        selectors.moment_get(actor=day.world.actor("school_b"), moment_id=moment.pk)
    moment.refresh_from_db()
    assert moment.status == "pending"


# --- deletion -----------------------------------------------------------------------------------------------------


def test_the_author_deletes_its_pending_or_rejected_moment_and_its_files(
    day: Any, django_capture_on_commit_callbacks: Any
) -> None:
    moment = _post(day, files=[picture_upload()])
    names = [moment.media.get().file.name, moment.media.get().preview.name]
    with django_capture_on_commit_callbacks(execute=True):
        services.moment_delete(actor=day.world.actor("teacher_a"), moment=moment)
    assert not Moment.objects.exists() and not MomentMedia.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    assert AuditEvent.objects.filter(event="delete", object_id=str(moment.pk)).exists()
    rejected = _moment(day, status="rejected", reject_reason="模糊")
    services.moment_delete(actor=day.world.actor("teacher_a"), moment=rejected)
    assert not Moment.objects.exists()


def test_an_approved_moment_or_someone_elses_cannot_be_deleted(day: Any) -> None:
    approved = _moment(day, status="approved")
    with pytest.raises(Conflict) as conflict:
        services.moment_delete(actor=day.world.actor("teacher_a"), moment=approved)
    assert conflict.value.code == "moment_approved"
    pending = _moment(day, status="pending")
    with pytest.raises(PermissionDenied):
        services.moment_delete(actor=day.world.actor("school_a"), moment=pending)
    assert Moment.objects.count() == 2


# --- who sees what ------------------------------------------------------------------------------------------------


@pytest.fixture
def other_section(day: Any) -> Any:
    """A second running section at school_a, taught by another teacher, where the parent's child holds no place; one
    of its students has a guardian with a login."""
    teacher = _user(Role.TEACHER, school=day.school)
    section = SectionFactory(school=day.school, term=day.section.term, name="小小书法", status="running")
    SectionTeacherFactory(section=section, user=teacher)
    lesson = LessonFactory(section=section, number=1, date=dt.date(2026, 11, 10), teachers=[teacher])
    student = StudentFactory(school_class=day.school_class, grade=day.school_class.grade)
    EnrollmentFactory(section=section, student=student)
    parent = _user(Role.PARENT)
    StudentGuardianFactory(student=student, guardian=GuardianFactory(user=parent))
    return {"section": section, "lesson": lesson, "teacher": teacher, "parent": parent}


def test_a_parent_never_sees_a_post_of_a_section_its_child_is_not_in(day: Any, other_section: Any) -> None:
    mine = _moment(day)
    theirs = _moment(day, lesson=other_section["lesson"], author=other_section["teacher"])
    school_b = _moment(day, lesson=day.other_lesson, author=UserFactory())
    parent = day.world.actor("parent")
    assert _visible(parent) == {mine.pk}
    assert set(selectors.moment_feed(actor=parent).values_list("pk", flat=True)) == {mine.pk}
    for moment in (theirs, school_b):
        with pytest.raises(NotFound):
            selectors.moment_get(actor=parent, moment_id=moment.pk)
    assert _visible(_actor(other_section["parent"])) == {theirs.pk}


def test_families_see_only_approved_moments(day: Any) -> None:
    approved, pending = _moment(day), _moment(day, status="pending")
    rejected = _moment(day, status="rejected", reject_reason="x")
    parent = day.world.actor("parent")
    assert _visible(parent) == {approved.pk}
    for hidden in (pending, rejected):
        with pytest.raises(NotFound):
            selectors.moment_get(actor=parent, moment_id=hidden.pk)
    student_login = day.world.users["student"]
    day.child.user = student_login
    day.child.save(update_fields=["user"])
    assert _visible(day.world.actor("student")) == {approved.pk}


def test_a_rejected_post_is_seen_by_nobody_but_its_author_and_the_reviewers(day: Any) -> None:
    rejected = _moment(day, status="rejected", reject_reason="不清楚")
    colleague = _user(Role.TEACHER, school=day.school)
    day.today.teachers.add(colleague)
    SectionTeacherFactory(section=day.section, user=colleague)
    sees = {"teacher_a": True, "school_a": True, "system": True}
    for key in ("parent", "bureau_a", "school_a2", "school_b", "org_a", "bureau_b"):
        sees[key] = False
    for key, expected in sees.items():
        assert (rejected.pk in _visible(day.world.actor(key))) is expected, key
    assert rejected.pk not in _visible(_actor(colleague))
    media = MomentMediaFactory(moment=rejected)
    with pytest.raises(NotFound):
        selectors.media_get(actor=_actor(colleague), moment_id=rejected.pk, media_id=media.pk)
    assert selectors.media_get(actor=day.world.actor("school_a"), moment_id=rejected.pk, media_id=media.pk) == media


def test_approved_moments_reach_the_bureau_of_the_region_and_the_sections_teachers(day: Any) -> None:
    approved, pending = _moment(day), _moment(day, status="pending")
    colleague = _user(Role.TEACHER, school=day.school)
    SectionTeacherFactory(section=day.section, user=colleague)
    assert _visible(day.world.actor("bureau_a")) == {approved.pk}
    assert _visible(day.world.actor("bureau_b")) == set()
    assert _visible(_actor(colleague)) == {approved.pk}
    assert _visible(day.world.actor("school_a")) == {approved.pk, pending.pk}
    assert _visible(day.world.actor("school_a2")) == set()
    assert _visible(day.world.actor("teacher_a")) == {approved.pk, pending.pk}


def test_a_child_that_left_this_term_keeps_the_moments_up_to_the_day_it_left(day: Any, monkeypatch: Any) -> None:
    from django.utils import timezone

    before = _moment(day, lesson=day.past)
    _moment(day, lesson=day.future)
    place = day.child.enrollments.get(section=day.section)
    place.status, place.ended_at = "withdrawn", timezone.make_aware(dt.datetime(2026, 11, 5, 9, 0))
    place.save(update_fields=["status", "ended_at"])
    parent = day.world.actor("parent")
    assert _visible(parent) == {before.pk}
    freeze(monkeypatch, dt.datetime(2027, 2, 1, 9, 0))  # the term (to 20 January) is over
    assert _visible(parent) == set()


def test_an_unpaid_place_shows_nothing(day: Any) -> None:
    _moment(day)
    place = day.child.enrollments.get(section=day.section)
    place.status = "pending"
    place.save(update_fields=["status"])
    assert _visible(day.world.actor("parent")) == set()


def test_feed_of_one_child_and_of_a_child_not_ones_own(day: Any, other_section: Any) -> None:
    mine = _moment(day)
    theirs = _moment(day, lesson=other_section["lesson"], author=other_section["teacher"])
    second_child = StudentFactory(school_class=day.school_class, grade=day.school_class.grade, name="二宝")
    StudentGuardianFactory(student=second_child, guardian=day.child.guardians.get())
    EnrollmentFactory(section=other_section["section"], student=second_child)
    parent = day.world.actor("parent")
    assert list(selectors.moment_feed(actor=parent).values_list("pk", flat=True)) == [theirs.pk, mine.pk]
    assert list(selectors.moment_feed(actor=parent, student_id=day.child.pk).values_list("pk", flat=True)) == [mine.pk]
    with pytest.raises(NotFound):
        selectors.moment_feed(actor=parent, student_id=day.students[1].pk)
    assert not selectors.moment_feed(actor=day.world.actor("school_a")).exists()


def test_review_list_puts_the_waiting_ones_first(day: Any) -> None:
    approved = _moment(day)
    first_waiting = _moment(day, status="pending")
    second_waiting = _moment(day, status="pending")
    rejected = _moment(day, status="rejected")
    order = list(selectors.review_list(actor=day.world.actor("school_a")).values_list("pk", flat=True))
    assert order[:2] == [first_waiting.pk, second_waiting.pk]
    assert set(order[2:]) == {approved.pk, rejected.pk}
    assert not selectors.review_list(actor=day.world.actor("bureau_a")).exists()


def test_list_filters_and_search(day: Any, other_section: Any) -> None:
    a = _moment(day, text="三原色练习")
    b = _moment(day, lesson=other_section["lesson"], author=other_section["teacher"], status="pending")
    school = day.world.actor("school_a")
    assert _ids(selectors.moment_list(actor=school, filters={"section": other_section["section"].pk})) == [b.pk]
    assert _ids(selectors.moment_list(actor=school, filters={"status": "approved"})) == [a.pk]
    assert _ids(selectors.moment_list(actor=school, filters={"q": "三原色"})) == [a.pk]
    assert _ids(selectors.moment_list(actor=school, filters={"date": dt.date(2026, 11, 3)})) == []
    bureau = day.world.actor("bureau_a")
    assert _ids(selectors.moment_list(actor=bureau, filters={"school": day.school.pk})) == [a.pk]
    assert selectors.school_choices(actor=bureau) == [(str(day.school.pk), day.school.name)]


def _ids(qs: Any) -> list[int]:
    return list(qs.values_list("pk", flat=True))
