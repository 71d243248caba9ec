"""Chapter materials (章节资料): a section's teacher uploads per chapter (kinds by content, title required); the
school, the bureau, the section's teachers and its families see them (others: 404 on page, file and API); the uploader
deletes its own after a confirmation. Services, pages and API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from afterschool.accounts.choices import Role
from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.attendance.tests.factories import freeze, make_day
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.core.tests.media_samples import sample_upload
from afterschool.courses.tests.factories import ChapterFactory
from afterschool.feedback.models import ChapterMaterial
from afterschool.feedback.selectors import materials as selectors
from afterschool.feedback.services import materials as services
from afterschool.feedback.tests.factories import ChapterMaterialFactory
from afterschool.tenancy.actor import Actor

API = "/api/v1/feedback"


@pytest.fixture
def day(world: Any, monkeypatch: Any) -> Any:
    freeze(monkeypatch, dt.datetime(2026, 11, 10, 17, 0))
    d = make_day(world)
    d.teacher.display_name = "王老师"
    d.teacher.save(update_fields=["display_name"])
    course = d.section.course
    d.extra["chapters"] = [ChapterFactory(course=course, number=n, title=f"色彩{n}") for n in (1, 2, 3)]
    d.extra["foreign_chapter"] = ChapterFactory(course=d.other_section.course, number=1, title="机器人入门")
    return d


@pytest.fixture
def clients(day: Any, login: Any) -> Any:
    users = day.world.users
    keys = ("parent", "teacher_a", "school_a", "school_a2", "school_b", "bureau_a", "bureau_b", "org_a")
    return {key: login(users[key]) for key in keys}


def _colleague(day: Any) -> Any:
    """A teacher of the same school who does not teach the section."""
    user = UserFactory()
    membership = MembershipFactory(user=user, role=Role.TEACHER, school=day.school)
    return user, Actor(user=user, membership=membership)


def _upload(day: Any, chapter: int = 0, fmt: str = "pdf", title: str = "第一章讲义", **kw: Any) -> ChapterMaterial:
    return services.material_upload(
        actor=day.world.actor("teacher_a"), section=day.section, chapter=day.extra["chapters"][chapter], title=title,
        upload=kw.pop("upload", None) or sample_upload(fmt),
    )  # fmt: skip


def _material(day: Any, **kw: Any) -> ChapterMaterial:
    return ChapterMaterialFactory(section=day.section, chapter=day.extra["chapters"][0], uploaded_by=day.teacher, **kw)


# --- services ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "kind", "content_type"),
    [("pdf", "document", "application/pdf"), ("png", "image", "image/png"), ("mp3", "audio", "audio/mpeg"),
     ("mp4", "video", "video/mp4")],
)  # fmt: skip
def test_teacher_uploads_each_kind_for_a_chapter(day: Any, fmt: str, kind: str, content_type: str) -> None:
    material = _upload(day, chapter=1, fmt=fmt)
    assert (material.media_kind, material.content_type, material.chapter.number) == (kind, content_type, 2)
    assert material.uploaded_by == day.teacher and material.file.name.startswith("chapter-materials/")
    assert AuditEvent.objects.filter(event="create", object_id=str(material.pk)).exists()


def test_upload_refusals(day: Any) -> None:
    with pytest.raises(ValidationFailed) as no_title:
        _upload(day, title="  ")
    assert no_title.value.detail == {"title": ["请填写资料标题"]}
    with pytest.raises(ValidationFailed) as fake:
        _upload(day, upload=sample_upload("text", name="notes.pdf"))
    assert fake.value.detail["file"][0].startswith("不支持的文件格式")
    with pytest.raises(ValidationFailed) as wrong_chapter:
        services.material_upload(
            actor=day.world.actor("teacher_a"), section=day.section, chapter=day.extra["foreign_chapter"], title="x",
            upload=sample_upload("pdf"),
        )  # fmt: skip
    assert wrong_chapter.value.code == "chapter_invalid"
    with pytest.raises(ValidationFailed):
        selectors.chapter_of(section=day.section, chapter_id=day.extra["foreign_chapter"].pk)
    _, colleague = _colleague(day)
    with pytest.raises(PermissionDenied):
        services.material_upload(
            actor=colleague, section=day.section, chapter=day.extra["chapters"][0], title="x",
            upload=sample_upload("pdf"),
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.material_upload(
            actor=day.world.actor("school_a"), section=day.section, chapter=day.extra["chapters"][0], title="x",
            upload=sample_upload("pdf"),
        )  # fmt: skip
    assert not ChapterMaterial.objects.exists()


def test_only_the_uploader_deletes_and_the_file_goes(day: Any, django_capture_on_commit_callbacks: Any) -> None:
    material = _upload(day)
    name = material.file.name
    with pytest.raises(PermissionDenied):
        services.material_delete(actor=day.world.actor("school_a"), material=material)
    with django_capture_on_commit_callbacks(execute=True):
        services.material_delete(actor=day.world.actor("teacher_a"), material=material)
    assert not ChapterMaterial.objects.exists() and not default_storage.exists(name)
    assert AuditEvent.objects.filter(event="delete", object_id=str(material.pk)).exists()


def test_who_sees_a_sections_materials(day: Any) -> None:
    material = _material(day)
    world = day.world
    for key in ("teacher_a", "school_a", "bureau_a", "parent", "system"):
        assert selectors.material_get(actor=world.actor(key), material_id=material.pk) == material, key
    _, colleague = _colleague(day)
    other_parent = UserFactory()
    parent_membership = MembershipFactory(user=other_parent, role=Role.PARENT)
    outsiders = [world.actor(k) for k in ("school_a2", "school_b", "bureau_b", "org_a")]
    outsiders += [colleague, Actor(user=other_parent, membership=parent_membership)]
    for actor in outsiders:
        with pytest.raises(NotFound):
            selectors.material_get(actor=actor, material_id=material.pk)
        with pytest.raises(NotFound):
            selectors.section_get(actor=actor, section_id=day.section.pk)


def test_materials_are_grouped_by_chapter(day: Any) -> None:
    _upload(day, chapter=2, title="第三章视频", fmt="mp4")
    _upload(day, chapter=0, title="第一章讲义")
    groups = selectors.material_groups(section=day.section)
    assert [(g.chapter.number, [m.title for m in g.materials]) for g in groups] == [
        (1, ["第一章讲义"]), (2, []), (3, ["第三章视频"]),
    ]  # fmt: skip


# --- pages ----------------------------------------------------------------------------------------------------------


def test_teacher_page_lists_chapters_and_uploads(day: Any, clients: Any) -> None:
    url = reverse("feedback:materials", args=[day.section.pk])
    page = clients["teacher_a"].get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "第1章 色彩1" in html and "第3章 色彩3" in html and "上传资料" in html
    chapter = day.extra["chapters"][1]
    response = clients["teacher_a"].post(
        url, {"chapter": chapter.pk, "title": "调色板练习", "file": sample_upload("pptx")}
    )
    assert response.status_code == 302 and response.url == url
    material = ChapterMaterial.objects.get()
    assert (material.chapter, material.title, material.media_kind) == (chapter, "调色板练习", "document")
    listed = clients["teacher_a"].get(url).content.decode()
    assert "调色板练习" in listed and reverse("feedback:material_delete", args=[material.pk]) in listed
    assert "data-confirm" in listed


def test_upload_form_shows_chinese_errors(day: Any, clients: Any) -> None:
    url = reverse("feedback:materials", args=[day.section.pk])
    chapter = day.extra["chapters"][0]
    no_title = clients["teacher_a"].post(url, {"chapter": chapter.pk, "title": "", "file": sample_upload("pdf")})
    assert "请填写资料标题" in no_title.content.decode()
    fake = clients["teacher_a"].post(url, {"chapter": chapter.pk, "title": "x", "file": sample_upload("exe", "a.pdf")})
    assert "不支持的文件格式" in fake.content.decode()
    foreign = clients["teacher_a"].post(
        url, {"chapter": day.extra["foreign_chapter"].pk, "title": "x", "file": sample_upload("pdf")}
    )
    assert "请选择本课程的章节" in foreign.content.decode()
    assert not ChapterMaterial.objects.exists()


def test_families_and_the_school_read_but_do_not_upload(day: Any, clients: Any) -> None:
    material = _material(day, title="家长可见的讲义")
    url = reverse("feedback:materials", args=[day.section.pk])
    for key in ("parent", "school_a", "bureau_a"):
        html = clients[key].get(url).content.decode()
        assert "家长可见的讲义" in html and "上传资料" not in html, key
        assert reverse("feedback:material_delete", args=[material.pk]) not in html
    posted = clients["parent"].post(
        url, {"chapter": day.extra["chapters"][0].pk, "title": "x", "file": sample_upload("pdf")}
    )
    assert posted.status_code == 200 and ChapterMaterial.objects.count() == 1
    index = clients["parent"].get(reverse("feedback:material_index")).content.decode()
    assert reverse("feedback:materials", args=[day.section.pk]) in index


def test_outsiders_get_404_on_page_file_and_api(day: Any, clients: Any) -> None:
    material = _material(day)
    urls = [
        reverse("feedback:materials", args=[day.section.pk]),
        reverse("feedback:material_file", args=[material.pk]),
        reverse("feedback:material_delete", args=[material.pk]),
        f"{API}/sections/{day.section.pk}/materials",
        f"{API}/materials/{material.pk}/file",
    ]
    for key in ("school_a2", "school_b", "bureau_b", "org_a"):
        for url in urls:
            assert clients[key].get(url).status_code == 404, (key, url)
    download = clients["parent"].get(urls[1])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]


def test_delete_asks_first_and_only_the_uploader_may(day: Any, clients: Any) -> None:
    material = _material(day, title="要删的资料")
    url = reverse("feedback:material_delete", args=[material.pk])
    confirm = clients["teacher_a"].get(url)
    assert confirm.status_code == 200 and "确认删除" in confirm.content.decode()
    assert clients["school_a"].post(url).status_code == 403
    assert "只有上传的教师本人可以删除" in clients["school_a"].get(url).content.decode()
    done = clients["teacher_a"].post(url)
    assert done.status_code == 302 and not ChapterMaterial.objects.exists()


# --- API --------------------------------------------------------------------------------------------------------------


def test_api_upload_list_download_delete(day: Any, clients: Any) -> None:
    chapter = day.extra["chapters"][0]
    created = clients["teacher_a"].post(
        f"{API}/sections/{day.section.pk}/materials",
        {"chapter_id": chapter.pk, "title": "课堂录音", "file": sample_upload("mp3")},
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["title"], data["media_kind"], data["chapter_number"], data["uploaded_by"]) == (
        "课堂录音",
        "audio",
        1,
        "王老师",
    )
    assert data["url"] == f"{API}/materials/{data['id']}/file" and data["can_delete"] is True
    listed = clients["parent"].get(f"{API}/sections/{day.section.pk}/materials").json()
    assert [x["id"] for x in listed["items"]] == [data["id"]] and listed["items"][0]["can_delete"] is False
    assert clients["parent"].get(f"{API}/sections/{day.section.pk}/materials?kind=video").json()["count"] == 0
    audio = clients["parent"].get(data["url"], HTTP_RANGE="bytes=0-3")
    assert audio.status_code == 206 and audio["Content-Type"] == "audio/mpeg"
    assert clients["parent"].delete(f"{API}/materials/{data['id']}").status_code == 403
    assert clients["teacher_a"].delete(f"{API}/materials/{data['id']}").status_code == 204
    assert not ChapterMaterial.objects.exists()


def test_api_upload_refusals(day: Any, clients: Any) -> None:
    url = f"{API}/sections/{day.section.pk}/materials"
    chapter = day.extra["chapters"][0]
    bad = clients["teacher_a"].post(
        url, {"chapter_id": chapter.pk, "title": "x", "file": sample_upload("zip", "a.docx")}
    )
    assert bad.status_code == 422 and bad.json()["detail"]["file"]
    foreign = clients["teacher_a"].post(
        url, {"chapter_id": day.extra["foreign_chapter"].pk, "title": "x", "file": sample_upload("pdf")}
    )
    assert foreign.status_code == 422 and foreign.json()["code"] == "chapter_invalid"
    school = clients["school_a"].post(url, {"chapter_id": chapter.pk, "title": "x", "file": sample_upload("pdf")})
    assert school.status_code == 403
    assert (
        clients["school_b"]
        .post(url, {"chapter_id": chapter.pk, "title": "x", "file": sample_upload("pdf")})
        .status_code
        == 404
    )
    assert not ChapterMaterial.objects.exists()
