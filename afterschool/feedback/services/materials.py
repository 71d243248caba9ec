"""章节资料 (§5.3.3 "支持按照课程章节上传文档、图片、音频和视频等内容"): a section's teacher uploads, per chapter of the
section's course, a document, image, audio or video with a title; it is visible at once (no review) to the school,
the bureau, the section's teachers and the families of its students. The uploader deletes its own.

Rules
- Upload: a teacher of the section (a lesson teacher of it, or linked to it); the chapter belongs to the section's
  course; title required (≤ 100); the file is recognised by content (`check_upload`: pdf/docx/pptx/xlsx, jpg/png,
  mp3/aac, mp4 H.264/AAC; size limits from settings). The file is stored before the short transaction that writes
  the row (removed again if it fails).
- Delete: only the uploader; the file goes once the deletion commits.
Every write is audited.
"""

from __future__ import annotations

import uuid

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.core.choices import MediaKind
from afterschool.core.errors import NotFound, PermissionDenied, ValidationFailed
from afterschool.core.media import MediaInfo, check_upload
from afterschool.courses.models import Chapter
from afterschool.scheduling.models import Section
from afterschool.tenancy.actor import Actor

from ..models import ChapterMaterial
from ..selectors import materials as selectors

MAX_TITLE = 100
MATERIAL_KINDS = tuple(MediaKind.values)


def _clean_title(title: str | None) -> str:
    value = (title or "").strip()
    message = ""
    if not value:
        message = "请填写资料标题"
    elif len(value) > MAX_TITLE:
        message = f"资料标题最多 {MAX_TITLE} 字"
    elif "\x00" in value:
        message = "资料标题含有不允许的字符"
    if message:
        raise ValidationFailed({"title": [message]}, message=message, code="title_invalid")
    return value


def _remove(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:  # pragma: no cover - a file already gone is what we wanted
        pass


def material_upload(
    *, actor: Actor, section: Section, chapter: Chapter, title: str, upload: UploadedFile | None
) -> ChapterMaterial:
    """A teacher of the section uploads a document, image, audio or video for one chapter of the section's course."""
    if not selectors.may_upload(actor, section):
        raise PermissionDenied("只有该课班的任课教师可以上传章节资料")
    if chapter.course_id != section.course_id:
        raise ValidationFailed(
            {"chapter": ["请选择本课程的章节"]}, message="请选择本课程的章节", code="chapter_invalid"
        )
    title = _clean_title(title)
    if upload is None:
        raise ValidationFailed({"file": ["请选择要上传的文件"]}, message="请选择要上传的文件", code="file_required")
    info = check_upload(upload, kinds=MATERIAL_KINDS, field="file")
    # A video may be hundreds of MB: it is stored before the transaction, so no lock is held while it is written.
    upload.seek(0)
    material = ChapterMaterial(
        section=section, chapter=chapter, uploaded_by=actor.user, title=title, media_kind=info.kind,
        content_type=info.content_type, size=info.size,
    )  # fmt: skip
    material.file.save(f"{uuid.uuid4().hex}.{info.extension}", upload, save=False)
    try:
        return _material_create(actor=actor, material=material, info=info)
    except BaseException:
        _remove(material.file.name)
        raise


@transaction.atomic
def _material_create(*, actor: Actor, material: ChapterMaterial, info: MediaInfo) -> ChapterMaterial:
    material.save()
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=material,
        detail={"section": material.section_id, "chapter": material.chapter_id, "title": material.title,
                "kind": info.kind, "size": info.size},
    )  # fmt: skip
    return material


@transaction.atomic
def material_delete(*, actor: Actor, material: ChapterMaterial) -> None:
    """The uploader deletes its own material."""
    locked = ChapterMaterial.objects.select_for_update().filter(pk=material.pk).first()
    if locked is None:
        raise NotFound()
    if actor.user_id is None or locked.uploaded_by_id != actor.user_id:
        raise PermissionDenied("只有上传的教师本人可以删除章节资料")
    record_write(
        actor=actor, event=AuditEventType.DELETE, obj=locked,
        detail={"section": locked.section_id, "chapter": locked.chapter_id, "title": locked.title},
    )  # fmt: skip
    name = locked.file.name
    locked.delete()
    transaction.on_commit(lambda: _remove(name))
