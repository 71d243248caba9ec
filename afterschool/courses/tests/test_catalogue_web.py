"""Course catalogue pages and API: forms, chapters, materials in 元, uploads/downloads, export, cross-tenant 404."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from afterschool.accounts.models import AuditEvent
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.core.tests.media_samples import sample_bytes
from afterschool.courses.choices import OfferStatus
from afterschool.courses.models import Chapter, Course, CourseFile, Material
from afterschool.courses.tests.factories import ChapterFactory, CourseFactory, CourseOfferFactory, MaterialFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/courses/courses"


def _json(client: Any, method: str, path: str, data: Any = None) -> Any:
    if method in ("get", "delete"):
        return getattr(client, method)(f"{API}{path}")
    return getattr(client, method)(f"{API}{path}", data=json.dumps(data), content_type="application/json")


def _org_staff_client(world: Any, login: Any, *permissions: str) -> Any:
    user = UserFactory()
    MembershipFactory(user=user, role="org_staff", organization=world.org_a, permissions=list(permissions))
    return login(user)


def _school_course(world: Any, school: Any = None, **kwargs: Any) -> Course:
    return CourseFactory(owner_school=school or world.school_a, owner_organization=None, **kwargs)


# --- pages ----------------------------------------------------------------------------------------


def test_school_admin_creates_edits_and_deletes_course_through_pages(world: Any, login: Any) -> None:
    client = login(world.users["school_a"])
    page = client.get("/courses/new/").content.decode()
    assert 'type="checkbox"' in page and "高三" in page and "一年级" in page
    assert "所属机构" not in page  # only a system admin picks the owner
    data = {"name": "校园足球", "category": "sports", "introduction": "基础训练", "grade_levels": ["3", "4"]}
    response = client.post("/courses/new/", {**data, "grade_levels": []})
    assert response.status_code == 200 and "请至少选择一个适用年级" in response.content.decode()
    response = client.post("/courses/new/", data)
    course = Course.objects.get(name="校园足球")
    assert response.status_code == 302 and response["Location"] == f"/courses/{course.pk}/"
    assert course.owner_school == world.school_a and course.grade_levels == [3, 4]
    response = client.post(f"/courses/{course.pk}/edit/", {**data, "grade_levels": ["12"], "name": "足球进阶"})
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.name == "足球进阶" and course.grade_levels == [12]
    assert "确认删除" in client.get(f"/courses/{course.pk}/delete/").content.decode()
    assert client.post(f"/courses/{course.pk}/delete/").status_code == 302
    assert not Course.objects.filter(pk=course.pk).exists()
    assert AuditEvent.objects.filter(object_type="courses.course").values_list("event", flat=True).count() == 3


def test_system_admin_course_form_requires_an_owner(world: Any, login: Any) -> None:
    client = login(world.users["system"])
    data = {"name": "机器人", "category": "science", "grade_levels": ["5"]}
    response = client.post("/courses/new/", data)
    assert response.status_code == 200 and "二者选其一" in response.content.decode()
    assert client.post("/courses/new/", {**data, "owner_organization": world.org_b.pk}).status_code == 302
    assert Course.objects.get(name="机器人").owner_organization == world.org_b


def test_course_page_shows_chapters_resources_attachments_and_materials_in_yuan(world: Any, login: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a, name="水彩入门")
    ChapterFactory(course=course, number=2, title="调色")
    chapter = ChapterFactory(course=course, number=1, title="认识水彩")
    MaterialFactory(course=course, name="水彩颜料", quantity=2, price_fen=3550)
    client = login(world.users["org_a"])
    upload = SimpleUploadedFile("课件.pdf", sample_bytes("pdf"))
    response = client.post(f"/courses/{course.pk}/files/new/", {"file": upload, "chapter": str(chapter.pk)})
    assert response.status_code == 302
    response = client.post(
        f"/courses/{course.pk}/files/new/", {"file": SimpleUploadedFile("封面.png", sample_bytes("png"))}
    )
    assert response.status_code == 302
    html = client.get(f"/courses/{course.pk}/").content.decode()
    assert html.index("第1章 认识水彩") < html.index("课件.pdf") < html.index("第2章 调色") < html.index("封面.png")
    assert "¥35.50" in html and "¥71.00" in html
    assert "新增章节" in html and "上移" in html
    resource = CourseFile.objects.get(name="课件.pdf")
    assert resource.chapter == chapter
    download = client.get(f"/courses/{course.pk}/files/{resource.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == sample_bytes("pdf")
    assert download["Content-Type"] == "application/pdf"


def test_bad_upload_on_page_shows_chinese_error(world: Any, login: Any, settings: Any) -> None:
    course = _school_course(world)
    client = login(world.users["school_a"])
    for name, fmt in (("a.exe", "exe"), ("clip.mp4", "mp4_hevc"), ("fake.pdf", "png")):
        response = client.post(
            f"/courses/{course.pk}/files/new/", {"file": SimpleUploadedFile(name, sample_bytes(fmt))}
        )
        assert response.status_code == 200 and 'class="error"' in response.content.decode()
    settings.MEDIA_SIZE_LIMITS = {"document": 10, "image": 10, "audio": 10, "video": 10}
    response = client.post(
        f"/courses/{course.pk}/files/new/", {"file": SimpleUploadedFile("a.pdf", sample_bytes("pdf"))}
    )
    assert "文件过大" in response.content.decode()
    assert not CourseFile.objects.exists()


def test_material_form_takes_yuan_and_stores_fen(world: Any, login: Any) -> None:
    course = _school_course(world)
    client = login(world.users["school_a"])
    base = {"name": "足球", "quantity": "1"}
    for bad, message in (("-1", "不能为负数"), ("1.234", "两位小数"), ("100000", "99999.99"), ("abc", "金额")):
        response = client.post(f"/courses/{course.pk}/materials/new/", {**base, "price_yuan": bad})
        assert response.status_code == 200 and message in response.content.decode()
    assert client.post(f"/courses/{course.pk}/materials/new/", {**base, "price_yuan": "35.5"}).status_code == 302
    material = Material.objects.get()
    assert material.price_fen == 3550
    assert 'value="35.50"' in client.get(f"/courses/{course.pk}/materials/{material.pk}/edit/").content.decode()
    response = client.post(f"/courses/{course.pk}/materials/{material.pk}/edit/", {**base, "price_yuan": "0.99"})
    assert response.status_code == 302
    material.refresh_from_db()
    assert material.price_fen == 99
    assert client.post(f"/courses/{course.pk}/materials/{material.pk}/delete/").status_code == 302
    assert not Material.objects.exists()


def test_chapter_pages_add_move_and_delete_keep_numbers(world: Any, login: Any) -> None:
    course = _school_course(world)
    client = login(world.users["school_a"])
    for title in ("一", "二", "三"):
        assert client.post(f"/courses/{course.pk}/chapters/new/", {"title": title}).status_code == 302
    two = Chapter.objects.get(title="二")
    assert client.post(f"/courses/{course.pk}/chapters/{two.pk}/move/", {"direction": "up"}).status_code == 302
    assert client.get(f"/courses/{course.pk}/chapters/{two.pk}/move/").status_code == 405
    one = Chapter.objects.get(title="一")
    assert client.post(f"/courses/{course.pk}/chapters/{one.pk}/delete/").status_code == 302
    assert list(Chapter.objects.order_by("number").values_list("number", "title")) == [(1, "二"), (2, "三")]
    response = client.post(f"/courses/{course.pk}/chapters/{two.pk}/edit/", {"title": "", "goals": ""})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()


def test_locked_course_pages_hide_editing_and_refuse_writes(world: Any, login: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a)
    chapter = ChapterFactory(course=course, number=1)
    CourseOfferFactory(course=course, school=world.school_a, status=OfferStatus.SUBMITTED)
    client = login(world.users["org_a"])
    html = client.get(f"/courses/{course.pk}/").content.decode()
    assert "如需修改请先撤回提交" in html and "新增章节" not in html and f"/courses/{course.pk}/edit/" not in html
    response = client.post(f"/courses/{course.pk}/chapters/{chapter.pk}/edit/", {"title": "新标题"})
    assert response.status_code == 200 and "如需修改请先撤回提交" in response.content.decode()
    response = client.post(f"/courses/{course.pk}/delete/")
    assert response.status_code == 409 and "撤回" in response.content.decode()
    assert Course.objects.filter(pk=course.pk).exists()


def test_course_list_page_filters_and_audited_export(world: Any, login: Any) -> None:
    _school_course(world, name="校内足球", category="sports", grade_levels=[5, 6])
    offered = CourseFactory(owner_organization=world.org_a, name="中心舞蹈", grade_levels=[1])
    CourseOfferFactory(course=offered, school=world.school_a, status=OfferStatus.APPROVED)
    _school_course(world, world.school_a2, name="二小书法")
    client = login(world.users["school_a"])

    def listed(**params: str) -> set[str]:
        html = client.get("/courses/", params).content.decode()
        return set(re.findall(r'<a href="/courses/\d+/">([^<]+)</a>', html))

    assert listed() == {"校内足球", "中心舞蹈"}
    assert listed(q="足球") == {"校内足球"}
    assert listed(category="sports") == {"校内足球"}
    assert listed(owner_type="organization") == {"中心舞蹈"}
    assert listed(grade="6") == {"校内足球"}
    assert listed(review_state="approved") == {"中心舞蹈"}
    assert listed(review_state="draft") == {"校内足球"}
    response = client.get("/courses/", {"export": "xlsx", "category": "sports"})
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "课程名称" and [r[0] for r in rows[1:]] == ["校内足球"]
    assert rows[1][3] == "五年级、六年级"
    assert AuditEvent.objects.filter(event="export", detail__what="course").exists()


@pytest.mark.parametrize(
    ("owner", "intruder"), [("org_a", "org_b"), ("school_a", "school_a2"), ("school_a", "bureau_b")]
)
def test_cross_tenant_course_pages_answer_404(world: Any, login: Any, owner: str, intruder: str) -> None:
    course = CourseFactory(owner_organization=world.org_a) if owner == "org_a" else _school_course(world)
    chapter = ChapterFactory(course=course, number=1)
    material = MaterialFactory(course=course)
    row = CourseFile.objects.create(
        course=course, name="a.pdf", file="x.pdf", media_kind="document", content_type="application/pdf", size=1
    )
    client = login(world.users[intruder])
    for url in (
        f"/courses/{course.pk}/",
        f"/courses/{course.pk}/edit/",
        f"/courses/{course.pk}/delete/",
        f"/courses/{course.pk}/chapters/{chapter.pk}/edit/",
        f"/courses/{course.pk}/materials/{material.pk}/edit/",
        f"/courses/{course.pk}/files/{row.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/courses/{course.pk}/chapters/{chapter.pk}/move/", {"direction": "up"}).status_code == 404
    assert client.post(f"/courses/{course.pk}/delete/").status_code == 404
    assert Course.objects.filter(pk=course.pk).exists()


def test_school_sees_org_course_page_only_once_offered_and_cannot_edit(world: Any, login: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a, name="中心课")
    client = login(world.users["school_a"])
    assert client.get(f"/courses/{course.pk}/").status_code == 404
    CourseOfferFactory(course=course, school=world.school_a, status=OfferStatus.REJECTED)
    html = client.get(f"/courses/{course.pk}/").content.decode()
    assert "中心课" in html and f"/courses/{course.pk}/edit/" not in html
    assert client.get(f"/courses/{course.pk}/edit/").status_code == 403
    assert login(world.users["school_a2"]).get(f"/courses/{course.pk}/").status_code == 404


def test_org_staff_pages_follow_org_permissions(world: Any, login: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a, name="中心课")
    nothing = _org_staff_client(world, login)
    assert nothing.get(f"/courses/{course.pk}/").status_code == 404
    viewer = _org_staff_client(world, login, "org.course_view")
    html = viewer.get("/courses/").content.decode()
    assert "中心课" in html and "新增课程" not in html
    assert viewer.get(f"/courses/{course.pk}/").status_code == 200
    assert viewer.get("/courses/new/").status_code == 403
    assert viewer.post(f"/courses/{course.pk}/chapters/new/", {"title": "x"}).status_code == 403
    assert not Chapter.objects.exists()


def test_parent_cannot_open_course_pages(world: Any, login: Any) -> None:
    course = _school_course(world)
    client = login(world.users["parent"])
    assert client.get("/courses/").status_code == 403
    assert client.get(f"/courses/{course.pk}/").status_code == 404


# --- API ------------------------------------------------------------------------------------------


def test_api_course_crud_and_filters(world: Any, login: Any) -> None:
    client = login(world.users["org_a"])
    body = {"name": "编程启蒙", "category": "science", "introduction": "Scratch", "grade_levels": [4, 3]}
    response = _json(client, "post", "", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["owner_organization_id"] == world.org_a.pk and created["grade_levels"] == [3, 4]
    assert created["review_state"] == "draft" and created["locked"] is False
    course_id = created["id"]
    assert _json(client, "post", "", {**body, "grade_levels": [13]}).status_code == 422
    assert _json(client, "post", "", {**body, "grade_levels": []}).status_code == 422
    listed = client.get(f"{API}", {"grade": 4, "category": "science"}).json()
    assert [c["id"] for c in listed["items"]] == [course_id] and listed["count"] == 1
    assert client.get(f"{API}", {"grade": 13}).status_code == 422
    response = _json(client, "patch", f"/{course_id}", {"name": "编程进阶"})
    assert response.status_code == 200 and response.json()["name"] == "编程进阶"
    assert _json(client, "patch", f"/{course_id}", {"name": None}).status_code == 422
    assert client.delete(f"{API}/{course_id}").status_code == 204
    assert client.get(f"{API}/{course_id}").status_code == 404


def test_api_chapters_materials_and_move(world: Any, login: Any) -> None:
    course = _school_course(world)
    client = login(world.users["school_a"])
    ids = [_json(client, "post", f"/{course.pk}/chapters", {"title": t}).json()["id"] for t in ("一", "二", "三")]
    response = _json(client, "post", f"/{course.pk}/chapters/{ids[2]}/move", {"direction": "up"})
    assert response.status_code == 200 and [c["title"] for c in response.json()] == ["一", "三", "二"]
    assert _json(client, "post", f"/{course.pk}/chapters/{ids[0]}/move", {"direction": "up"}).status_code == 409
    assert _json(client, "post", f"/{course.pk}/chapters/{ids[0]}/move", {"direction": "left"}).status_code == 422
    assert _json(client, "patch", f"/{course.pk}/chapters/{ids[1]}", {"goals": "会写"}).json()["goals"] == "会写"
    assert client.delete(f"{API}/{course.pk}/chapters/{ids[0]}").status_code == 204
    chapters = client.get(f"{API}/{course.pk}/chapters").json()
    assert [(c["number"], c["title"]) for c in chapters] == [(1, "三"), (2, "二")]
    response = _json(client, "post", f"/{course.pk}/materials", {"name": "球", "quantity": 1, "price_fen": 8000})
    assert response.status_code == 201
    material_id = response.json()["id"]
    assert _json(client, "post", f"/{course.pk}/materials", {"name": "球", "price_fen": -1}).status_code == 422
    assert (
        _json(client, "patch", f"/{course.pk}/materials/{material_id}", {"price_fen": 7000}).json()["price_fen"] == 7000
    )
    assert client.get(f"{API}/{course.pk}/materials/{material_id}").json()["price_fen"] == 7000
    assert len(client.get(f"{API}/{course.pk}/materials").json()) == 1
    assert client.delete(f"{API}/{course.pk}/materials/{material_id}").status_code == 204
    assert not Material.objects.exists()


def test_api_file_upload_list_download_delete(world: Any, login: Any, settings: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a)
    chapter = ChapterFactory(course=course, number=1)
    client = login(world.users["org_a"])
    response = client.post(
        f"{API}/{course.pk}/files",
        {"file": SimpleUploadedFile("朗读.mp3", sample_bytes("mp3")), "chapter_id": chapter.pk, "name": "范读"},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["chapter_id"] == chapter.pk and created["media_kind"] == "audio" and created["name"] == "范读"
    download = client.get(created["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == sample_bytes("mp3")
    assert "filename" in download["Content-Disposition"]
    assert [f["id"] for f in client.get(f"{API}/{course.pk}/files", {"chapter_id": chapter.pk}).json()] == [
        created["id"]
    ]
    assert client.get(f"{API}/{course.pk}/files", {"attachments_only": True}).json() == []
    for name, fmt in (("x.exe", "exe"), ("v.mp4", "mp4_hevc"), ("p.pdf", "png")):
        response = client.post(f"{API}/{course.pk}/files", {"file": SimpleUploadedFile(name, sample_bytes(fmt))})
        assert response.status_code == 422 and response.json()["detail"]["file"], name
    other = ChapterFactory(course=CourseFactory(owner_organization=world.org_a), number=1)
    response = client.post(
        f"{API}/{course.pk}/files", {"file": SimpleUploadedFile("a.pdf", sample_bytes("pdf")), "chapter_id": other.pk}
    )
    assert response.status_code == 422 and "chapter_id" in response.json()["detail"]
    settings.MEDIA_SIZE_LIMITS = {"document": 10, "image": 10, "audio": 10, "video": 10}
    response = client.post(f"{API}/{course.pk}/files", {"file": SimpleUploadedFile("a.pdf", sample_bytes("pdf"))})
    assert response.status_code == 422
    assert client.post(f"{API}/{course.pk}/files", {}).status_code == 422
    assert client.delete(f"{API}/{course.pk}/files/{created['id']}").status_code == 204
    assert not CourseFile.objects.exists()


def test_api_locked_course_refuses_edits_with_409(world: Any, login: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a)
    CourseOfferFactory(course=course, school=world.school_a, status=OfferStatus.APPROVED)
    client = login(world.users["org_a"])
    detail = client.get(f"{API}/{course.pk}").json()
    assert detail["locked"] is True and detail["review_state"] == "approved"
    response = _json(client, "patch", f"/{course.pk}", {"name": "新"})
    assert response.status_code == 409 and response.json()["message"] == (
        "课程已提交审核或已通过审核，不能修改；如需修改请先撤回提交"
    )
    assert _json(client, "post", f"/{course.pk}/chapters", {"title": "新"}).status_code == 409
    response = client.post(f"{API}/{course.pk}/files", {"file": SimpleUploadedFile("a.pdf", sample_bytes("pdf"))})
    assert response.status_code == 409
    assert client.delete(f"{API}/{course.pk}").status_code == 409


@pytest.mark.parametrize(("owner", "intruder"), [("org_a", "org_b"), ("school_a", "school_a2")])
def test_api_cross_tenant_answers_404(world: Any, login: Any, owner: str, intruder: str) -> None:
    course = CourseFactory(owner_organization=world.org_a) if owner == "org_a" else _school_course(world)
    chapter = ChapterFactory(course=course, number=1)
    material = MaterialFactory(course=course)
    row = CourseFile.objects.create(
        course=course, name="a.pdf", file="x.pdf", media_kind="document", content_type="application/pdf", size=1
    )
    client = login(world.users[intruder])
    assert client.get(f"{API}/{course.pk}").status_code == 404
    assert client.get(f"{API}/{course.pk}/chapters").status_code == 404
    assert client.get(f"{API}/{course.pk}/materials/{material.pk}").status_code == 404
    assert client.get(f"{API}/{course.pk}/files/{row.pk}/download").status_code == 404
    assert _json(client, "patch", f"/{course.pk}", {"name": "x"}).status_code == 404
    assert _json(client, "patch", f"/{course.pk}/chapters/{chapter.pk}", {"title": "x"}).status_code == 404
    assert client.delete(f"{API}/{course.pk}").status_code == 404
    assert client.delete(f"{API}/{course.pk}/files/{row.pk}").status_code == 404
    assert course.pk not in [c["id"] for c in client.get(f"{API}").json()["items"]]


def test_api_school_sees_org_course_once_offered(world: Any, login: Any) -> None:
    course = CourseFactory(owner_organization=world.org_b)
    client = login(world.users["school_a"])
    assert client.get(f"{API}/{course.pk}").status_code == 404
    CourseOfferFactory(course=course, school=world.school_a)
    assert client.get(f"{API}/{course.pk}").json()["review_state"] == "submitted"
    assert _json(client, "post", f"/{course.pk}/materials", {"name": "x"}).status_code == 403


def test_api_org_staff_without_course_edit_is_refused(world: Any, login: Any) -> None:
    course = CourseFactory(owner_organization=world.org_a)
    viewer = _org_staff_client(world, login, "org.course_view")
    assert viewer.get(f"{API}/{course.pk}").status_code == 200
    body = {"name": "x", "category": "arts", "grade_levels": [1]}
    assert _json(viewer, "post", "", body).status_code == 403
    assert _json(viewer, "patch", f"/{course.pk}", {"name": "y"}).status_code == 403
    assert _json(viewer, "post", f"/{course.pk}/chapters", {"title": "y"}).status_code == 403
    nothing = _org_staff_client(world, login)
    assert nothing.get(f"{API}/{course.pk}").status_code == 404
    assert nothing.get(f"{API}").json()["count"] == 0
    editor = _org_staff_client(world, login, "org.course_view", "org.course_edit")
    assert _json(editor, "post", "", body).status_code == 201


def test_api_system_admin_creates_for_named_owner(world: Any, login: Any) -> None:
    client = login(world.users["system"])
    body = {"name": "x", "category": "arts", "grade_levels": [1]}
    assert _json(client, "post", "", body).status_code == 422
    assert _json(client, "post", "", {**body, "owner_school_id": 2**62}).status_code == 422
    response = _json(client, "post", "", {**body, "owner_school_id": world.school_b.pk})
    assert response.status_code == 201 and response.json()["owner_school_id"] == world.school_b.pk
