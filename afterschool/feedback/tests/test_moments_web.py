"""Pages of classroom moments: posting (multipart, Chinese errors, poster fields), the teacher's list and deletion, the
review queue (htmx approve/reject), the school's and the bureau's list (filters, export), the families' feed (cards,
child switcher, "加载更多"), and the scoped media view — a moment someone may not see is a 404 on every page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from afterschool.accounts.choices import Role
from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.tests.factories import freeze, make_day
from afterschool.core.tests.media_samples import sample_upload
from afterschool.feedback.models import Moment
from afterschool.feedback.services import moments as services
from afterschool.feedback.tests.factories import MomentFactory, picture_upload, video_upload
from afterschool.notifications.models import Notification
from afterschool.scheduling.tests.factories import SectionTeacherFactory
from afterschool.schools.tests.factories import StudentFactory, StudentGuardianFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def day(world: Any, monkeypatch: Any) -> Any:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    d = make_day(world)
    d.teacher.display_name = "王老师"
    d.teacher.save(update_fields=["display_name"])
    return d


@pytest.fixture
def clients(day: Any, login: Any) -> Any:
    users = day.world.users
    keys = ("parent", "teacher_a", "school_a", "school_a2", "school_b", "bureau_a", "bureau_b", "system")
    return {key: login(users[key]) for key in keys}


def _moment(day: Any, status: str = "approved", **kw: Any) -> Moment:
    return MomentFactory(lesson=kw.pop("lesson", day.today), author=kw.pop("author", day.teacher), status=status, **kw)


def _posted(day: Any, *files: Any, posters: dict[int, Any] | None = None, status: str = "") -> Moment:
    moment = services.moment_post(
        actor=day.world.actor("teacher_a"), lesson=day.today, text="认识三原色", files=list(files), posters=posters
    )
    if status:
        Moment.objects.filter(pk=moment.pk).update(status=status)
        moment.refresh_from_db()
    return moment


# --- posting ------------------------------------------------------------------------------------------------------


def test_teacher_sees_the_post_form_with_the_lesson_and_the_script(day: Any, clients: Any) -> None:
    response = clients["teacher_a"].get(reverse("feedback:moment_new", args=[day.today.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "发布课堂风采" in html and "11月10日 周二 15:40–16:40" in html
    assert 'enctype="multipart/form-data"' in html and 'name="files"' in html and "multiple" in html
    assert "data-moment-form" in html and 'data-max-files="9"' in html and "js/moments.js" in html


def test_teacher_posts_photos_and_a_video_with_its_poster(day: Any, clients: Any) -> None:
    url = reverse("feedback:moment_new", args=[day.today.pk])
    body = {
        "text": "今天画了彩虹", "files": [picture_upload("a.jpg", (900, 1200)), video_upload("v.mp4")],
        "poster_1": picture_upload("poster_1.png", (640, 360)),
    }  # fmt: skip
    response = clients["teacher_a"].post(url, body)
    assert response.status_code == 302 and response.url == reverse("feedback:my_moments")
    moment = Moment.objects.get()
    photo, video = moment.media.order_by("position")
    assert (photo.kind, photo.content_type, photo.width, photo.height) == ("image", "image/jpeg", 900, 1200)
    assert (video.kind, video.width, video.height) == ("video", 640, 360) and video.preview
    mine = clients["teacher_a"].get(reverse("feedback:my_moments")).content.decode()
    assert "待审核" in mine and "今天画了彩虹" in mine and "课堂风采已发布" in mine
    assert reverse("feedback:moment_delete", args=[moment.pk]) in mine and "data-confirm" in mine


def test_the_post_form_shows_chinese_errors(day: Any, clients: Any) -> None:
    url = reverse("feedback:moment_new", args=[day.today.pk])
    empty = clients["teacher_a"].post(url, {"text": ""}).content.decode()
    assert "请填写课堂小结" in empty
    fake = clients["teacher_a"].post(url, {"text": "好", "files": [sample_upload("text", name="fake.png")]})
    assert fake.status_code == 200 and "第 1 个文件（fake.png）：不支持的文件格式" in fake.content.decode()
    ten = clients["teacher_a"].post(
        url, {"text": "好", "files": [picture_upload(f"{i}.png", (20, 20)) for i in range(10)]}
    )
    assert "最多上传 9 个图片或视频（本次选了 10 个）" in ten.content.decode()
    assert not Moment.objects.exists()


def test_a_future_lesson_shows_why_and_no_form(day: Any, clients: Any) -> None:
    response = clients["teacher_a"].get(reverse("feedback:moment_new", args=[day.future.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "11月17日 15:40 的课还没到" in html and "data-moment-form" not in html


def test_the_post_page_is_only_for_the_lessons_teachers(day: Any, clients: Any) -> None:
    url = reverse("feedback:moment_new", args=[day.today.pk])
    assert clients["parent"].get(url).status_code == 403
    assert clients["school_a"].get(url).status_code == 403
    assert clients["teacher_a"].get(reverse("feedback:moment_new", args=[day.other_lesson.pk])).status_code == 404


def test_my_moments_lists_recent_lessons_and_own_moments_with_reject_reason(day: Any, clients: Any) -> None:
    rejected = _moment(day, status="rejected", reject_reason="照片模糊")
    response = clients["teacher_a"].get(reverse("feedback:my_moments"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("feedback:moment_new", args=[day.today.pk]) in html
    assert reverse("feedback:moment_new", args=[day.past.pk]) in html
    assert reverse("feedback:moment_new", args=[day.future.pk]) not in html
    assert "已驳回" in html and "驳回原因：照片模糊" in html
    assert reverse("feedback:moment_delete", args=[rejected.pk]) in html
    only_pending = clients["teacher_a"].get(reverse("feedback:my_moments") + "?status=pending").content.decode()
    assert "照片模糊" not in only_pending
    assert clients["parent"].get(reverse("feedback:my_moments")).status_code == 403


def test_the_author_deletes_after_a_confirmation(day: Any, clients: Any) -> None:
    moment = _moment(day, status="pending")
    url = reverse("feedback:moment_delete", args=[moment.pk])
    confirm = clients["teacher_a"].get(url)
    assert confirm.status_code == 200 and "确认删除" in confirm.content.decode()
    assert Moment.objects.filter(pk=moment.pk).exists()
    response = clients["teacher_a"].post(url)
    assert response.status_code == 302 and not Moment.objects.filter(pk=moment.pk).exists()


def test_an_approved_moment_cannot_be_deleted_from_the_page(day: Any, clients: Any) -> None:
    moment = _moment(day)
    html = clients["teacher_a"].post(reverse("feedback:moment_delete", args=[moment.pk])).content.decode()
    assert "已通过审核的课堂风采不能删除" in html and Moment.objects.filter(pk=moment.pk).exists()
    assert clients["school_a"].post(reverse("feedback:moment_delete", args=[moment.pk])).status_code == 403
    assert (
        clients["parent"].post(reverse("feedback:moment_delete", args=[_moment(day, "pending").pk])).status_code == 404
    )


# --- review -------------------------------------------------------------------------------------------------------


def test_review_page_lists_waiting_moments_first_with_one_tap_actions(day: Any, clients: Any) -> None:
    old = _moment(day, text="已经通过的那条")
    waiting = _moment(day, status="pending", text="等待审核的这条")
    response = clients["school_a"].get(reverse("feedback:moment_review"))
    html = response.content.decode()
    assert response.status_code == 200 and "待审核 1 条" in html
    assert html.index("等待审核的这条") < html.index("已经通过的那条")
    assert reverse("feedback:moment_approve", args=[waiting.pk]) in html
    assert reverse("feedback:moment_approve", args=[old.pk]) not in html
    for key in ("teacher_a", "parent", "bureau_a"):
        assert clients[key].get(reverse("feedback:moment_review")).status_code == 403


def test_approve_with_htmx_swaps_the_card_and_tells_the_parent(day: Any, clients: Any) -> None:
    moment = _moment(day, status="pending")
    response = clients["school_a"].post(reverse("feedback:moment_approve", args=[moment.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and f'id="moment-{moment.pk}"' in html and "已通过" in html
    assert reverse("feedback:moment_approve", args=[moment.pk]) not in html
    assert Notification.objects.filter(recipient=day.world.users["parent"], kind="moment").count() == 1
    again = clients["school_a"].post(reverse("feedback:moment_reject", args=[moment.pk]), {"reason": "x"}, **HTMX)
    assert "这条课堂风采已通过，不能再审核" in again.content.decode()


def test_reject_needs_a_reason(day: Any, clients: Any) -> None:
    moment = _moment(day, status="pending")
    url = reverse("feedback:moment_reject", args=[moment.pk])
    empty = clients["school_a"].post(url, {"reason": ""}, **HTMX)
    assert "请填写驳回原因" in empty.content.decode()
    moment.refresh_from_db()
    assert moment.status == "pending"
    done = clients["school_a"].post(url, {"reason": "有学生正脸"})
    assert done.status_code == 302
    moment.refresh_from_db()
    assert (moment.status, moment.reject_reason) == ("rejected", "有学生正脸")


def test_another_schools_admin_cannot_decide(day: Any, clients: Any) -> None:
    moment = _moment(day, status="pending")
    assert clients["school_b"].post(reverse("feedback:moment_approve", args=[moment.pk])).status_code == 404
    assert clients["teacher_a"].post(reverse("feedback:moment_approve", args=[moment.pk])).status_code == 403
    assert clients["school_a"].get(reverse("feedback:moment_approve", args=[moment.pk])).status_code == 405


# --- the school's and the bureau's list ------------------------------------------------------------------------------


def test_school_list_has_status_filter_and_the_bureau_sees_approved_ones_with_a_school_filter(
    day: Any, clients: Any
) -> None:
    _moment(day, text="通过的风采")
    _moment(day, status="pending", text="待审的风采")
    school = clients["school_a"].get(reverse("feedback:moments")).content.decode()
    assert "通过的风采" in school and "待审的风采" in school and 'name="status"' in school
    bureau = clients["bureau_a"].get(reverse("feedback:moments")).content.decode()
    assert "通过的风采" in bureau and "待审的风采" not in bureau
    assert 'name="status"' not in bureau and 'name="school"' in bureau and day.school.name in bureau
    assert "通过的风采" not in clients["bureau_b"].get(reverse("feedback:moments")).content.decode()
    assert "待审的风采" in clients["school_a"].get(reverse("feedback:moments") + "?status=pending").content.decode()
    assert clients["parent"].get(reverse("feedback:moments")).status_code == 403
    assert clients["teacher_a"].get(reverse("feedback:moments")).status_code == 403


def test_list_exports_to_xlsx_and_the_export_is_audited(day: Any, clients: Any) -> None:
    _moment(day, text="导出的风采")
    response = clients["school_a"].get(reverse("feedback:moments") + "?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("学校", "课程", "课班", "上课时间")
    assert rows[1][0] == day.school.name and rows[1][6] == "导出的风采" and rows[1][9] == "已通过"
    assert AuditEvent.objects.filter(event="export", detail__what="课堂风采").exists()


# --- the feed -------------------------------------------------------------------------------------------------------


def test_parent_feed_shows_card_with_course_teacher_badge_time_text_and_media(day: Any, clients: Any) -> None:
    moment = _posted(day, picture_upload(), video_upload(), status="approved")
    posted = timezone.make_aware(dt.datetime(2026, 11, 10, 16, 45))
    Moment.objects.filter(pk=moment.pk).update(created_at=posted)
    _posted(day, status="pending")
    photo, video = moment.media.order_by("position")
    response = clients["parent"].get(reverse("feedback:feed"))
    html = response.content.decode()
    assert response.status_code == 200
    assert day.section.course.name in html and "王老师" in html
    assert '<span class="moment-avatar" aria-hidden="true">王</span>' in html
    assert "11月10日 16:45" in html and "认识三原色" in html
    photo_url = reverse("feedback:moment_media", args=[moment.pk, photo.pk])
    video_url = reverse("feedback:moment_media", args=[moment.pk, video.pk])
    assert f'href="{photo_url}"' in html and f'src="{photo_url}?preview=1"' in html
    assert f'poster="{video_url}?preview=1" src="{video_url}"' in html
    assert html.count('class="moment-card"') == 1  # the pending one is not there


def test_feed_pages_with_load_more(day: Any, clients: Any) -> None:
    for n in range(12):
        _moment(day, text=f"第{n}条风采")
    first = clients["parent"].get(reverse("feedback:feed")).content.decode()
    assert first.count('class="moment-card"') == 10 and "第11条风采" in first and "第0条风采" not in first
    assert "加载更多" in first and 'hx-get="?page=2"' in first
    more = clients["parent"].get(reverse("feedback:feed") + "?page=2", **HTMX).content.decode()
    assert "<html" not in more and more.count('class="moment-card"') == 2 and "第0条风采" in more
    assert "加载更多" not in more
    past_end = clients["parent"].get(reverse("feedback:feed") + "?page=9", **HTMX).content.decode()
    assert "moment-card" not in past_end


def test_feed_has_a_child_switcher_for_several_children(day: Any, clients: Any) -> None:
    _moment(day, text="大宝的课")
    second = StudentFactory(school_class=day.school_class, grade=day.school_class.grade, name="二宝")
    StudentGuardianFactory(student=second, guardian=day.child.guardians.get())
    html = clients["parent"].get(reverse("feedback:feed")).content.decode()
    assert "全部孩子" in html and f"?student={second.pk}" in html and "二宝" in html
    only_second = clients["parent"].get(reverse("feedback:feed") + f"?student={second.pk}").content.decode()
    assert "大宝的课" not in only_second and "还没有课堂风采" in only_second
    assert clients["parent"].get(reverse("feedback:feed") + f"?student={day.students[1].pk}").status_code == 404
    assert clients["parent"].get(reverse("feedback:feed") + "?student=abc").status_code == 404
    assert clients["teacher_a"].get(reverse("feedback:feed")).status_code == 403


# --- detail and media: the same rule -------------------------------------------------------------------------------


def test_media_view_serves_the_file_and_the_preview(day: Any, clients: Any) -> None:
    moment = _posted(day, picture_upload("a.png", (1000, 800)), video_upload(), status="approved")
    photo, video = moment.media.order_by("position")
    parent = clients["parent"]
    full = parent.get(reverse("feedback:moment_media", args=[moment.pk, photo.pk]))
    assert full.status_code == 200 and full["Content-Type"] == "image/png"
    assert full["X-Content-Type-Options"] == "nosniff" and "inline" in full["Content-Disposition"]
    thumb = parent.get(reverse("feedback:moment_media", args=[moment.pk, photo.pk]) + "?preview=1")
    assert thumb["Content-Type"] == "image/jpeg"
    placeholder = parent.get(reverse("feedback:moment_media", args=[moment.pk, video.pk]) + "?preview=1")
    assert placeholder.status_code == 200 and placeholder["Content-Type"] == "image/png"
    ranged = parent.get(reverse("feedback:moment_media", args=[moment.pk, video.pk]), HTTP_RANGE="bytes=0-9")
    assert ranged.status_code == 206 and len(b"".join(ranged.streaming_content)) == 10
    assert parent.get(reverse("feedback:moment_media", args=[moment.pk, 999999])).status_code == 404


def test_a_rejected_post_is_a_404_for_everyone_but_its_author_and_reviewers(day: Any, clients: Any, login: Any) -> None:
    moment = _posted(day, picture_upload(), status="rejected")
    media = moment.media.get()
    colleague = UserFactory()
    MembershipFactory(user=colleague, role=Role.TEACHER, school=day.school)
    SectionTeacherFactory(section=day.section, user=colleague)
    day.today.teachers.add(colleague)
    urls = [
        reverse("feedback:moment_detail", args=[moment.pk]),
        reverse("feedback:moment_media", args=[moment.pk, media.pk]),
        reverse("feedback:moment_media", args=[moment.pk, media.pk]) + "?preview=1",
        f"/api/v1/feedback/moments/{moment.pk}",
        f"/api/v1/feedback/moments/{moment.pk}/media/{media.pk}",
    ]
    outsiders = {
        "colleague": login(colleague),
        **{k: clients[k] for k in ("parent", "bureau_a", "school_a2", "school_b")},
    }
    for who, client in outsiders.items():
        for url in urls:
            assert client.get(url).status_code == 404, (who, url)
    for who in ("teacher_a", "school_a", "system"):
        for url in urls:
            assert clients[who].get(url).status_code == 200, (who, url)
    detail = clients["teacher_a"].get(urls[0]).content.decode()
    assert "已驳回" in detail


def test_detail_page_offers_review_to_the_school_and_materials_link(day: Any, clients: Any) -> None:
    moment = _moment(day, status="pending")
    html = clients["school_a"].get(reverse("feedback:moment_detail", args=[moment.pk])).content.decode()
    assert reverse("feedback:moment_approve", args=[moment.pk]) in html
    assert reverse("feedback:materials", args=[day.section.pk]) in html
    approved = _moment(day)
    parent = clients["parent"].get(reverse("feedback:moment_detail", args=[approved.pk]))
    assert (
        parent.status_code == 200
        and reverse("feedback:moment_approve", args=[approved.pk]) not in parent.content.decode()
    )
