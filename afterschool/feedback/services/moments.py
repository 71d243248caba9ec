"""课堂风采 (§5.3.3, §5.2.4.3): a teacher posts a summary of a lesson with up to 9 photos or short videos; the school
reviews it; only approved moments reach the families and the bureau.

Rules
- Posting: a teacher of the lesson (its school's staff or a dispatched organization teacher: `taught_lessons`), for a
  lesson that is not cancelled and has begun or is today. Text required, at most 1000 characters. 0–9 files, each a
  JPG/PNG photo or an MP4 (H.264/AAC) video, recognised by content (`check_upload`, size limits from settings). A photo
  gets a 480 px JPEG thumbnail; a video keeps the poster frame the page drew (`poster_<n>`, checked as an image) as its
  preview, or shows a placeholder without one. Every file is checked before anything is stored; the files are stored
  before the (short) transaction that writes the rows, and removed again if it fails. The moment starts pending and the
  school's admins are told.
- Review: the school's admin approves or rejects (reason required) a pending moment; the row is locked, so the second
  of two decisions at once gets a Conflict (409). Approval tells the families of the section's students (guardians with
  a login, students with a login) and the author; rejection tells the author why.
- The author deletes its own moment while pending or rejected (an approved one has reached the families and stays).
Every write is audited; notices are NotificationKind.MOMENT.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.models import User
from afterschool.accounts.services import record_write
from afterschool.attendance.selectors.common import TEACHING_ROLES, taught_lessons
from afterschool.core import timeutil
from afterschool.core.choices import MediaKind
from afterschool.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from afterschool.core.media import MediaInfo, check_upload
from afterschool.notifications.choices import NotificationKind
from afterschool.notifications.services.inbox import notify
from afterschool.scheduling.models import Lesson
from afterschool.tenancy.actor import Actor

from ..choices import MomentMediaKind, MomentStatus
from ..media import thumbnail
from ..models import Moment, MomentMedia
from ..selectors import moments as selectors

MEDIA_KINDS = (MediaKind.IMAGE.value, MediaKind.VIDEO.value)
MAX_REASON = 200
_NAME_SHOWN = 40


def _invalid(field: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed({field: [message]}, message=message, code=code)


def _clean_text(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise _invalid("text", "请填写课堂小结", "text_required")
    if len(value) > selectors.MAX_TEXT:
        raise _invalid("text", f"课堂小结最多 {selectors.MAX_TEXT} 字（现在 {len(value)} 字）", "text_too_long")
    if "\x00" in value:
        raise _invalid("text", "课堂小结含有不允许的字符", "text_invalid")
    return value


def _clean_reason(reason: str | None) -> str:
    value = (reason or "").strip()
    if not value:
        raise _invalid("reason", "请填写驳回原因", "reason_required")
    if len(value) > MAX_REASON:
        raise _invalid("reason", f"驳回原因最多 {MAX_REASON} 字", "reason_too_long")
    if "\x00" in value:
        raise _invalid("reason", "驳回原因含有不允许的字符", "reason_invalid")
    return value


def _check_lesson(lesson: Lesson) -> None:
    refusal = selectors.lesson_refusal(lesson)
    if refusal is not None:
        raise _invalid("lesson", refusal[1], refusal[0])


# --- the files ---------------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    upload: UploadedFile
    info: MediaInfo
    preview: bytes | None
    width: int | None
    height: int | None


def _shown_name(upload: UploadedFile) -> str:
    name = upload.name or ""
    return name if len(name) <= _NAME_SHOWN else name[: _NAME_SHOWN - 1] + "…"


def _prepare(files: Sequence[UploadedFile], posters: Mapping[int, UploadedFile]) -> list[_Prepared]:
    """Check every file (and poster) by content and make the previews; all problems are reported at once."""
    if len(files) > selectors.MAX_FILES:
        raise _invalid(
            "files", f"最多上传 {selectors.MAX_FILES} 个图片或视频（本次选了 {len(files)} 个）", "too_many_files"
        )
    problems: list[str] = []
    prepared: list[_Prepared] = []
    videos: set[int] = set()
    for index, upload in enumerate(files):
        where = f"第 {index + 1} 个文件（{_shown_name(upload)}）"
        try:
            info = check_upload(upload, kinds=MEDIA_KINDS, field="files")
            if info.kind == MediaKind.IMAGE:
                thumb = thumbnail(upload, field="files")
                prepared.append(_Prepared(upload, info, thumb.data, thumb.width, thumb.height))
                continue
        except ValidationFailed as refused:
            problems.append(f"{where}：{refused.message}")
            continue
        videos.add(index)
        poster = posters.get(index)
        if poster is None:
            prepared.append(_Prepared(upload, info, None, None, None))
            continue
        try:
            check_upload(poster, kinds=(MediaKind.IMAGE.value,), field=f"poster_{index}")
            frame = thumbnail(poster, field=f"poster_{index}", label="视频封面")
        except ValidationFailed as refused:
            problems.append(f"{where}的封面：{refused.message}")
            continue
        prepared.append(_Prepared(upload, info, frame.data, frame.width, frame.height))
    for index in sorted(set(posters) - videos):
        if not 0 <= index < len(files):
            problems.append(f"封面 poster_{index} 没有对应的视频")
        elif _passed(prepared, files[index]):  # a photo; a refused file was reported already
            problems.append(f"封面 poster_{index} 没有对应的视频（第 {index + 1} 个文件是图片）")
    if problems:
        raise ValidationFailed({"files": problems}, message=problems[0], code="file_refused")
    return prepared


def _passed(prepared: list[_Prepared], upload: UploadedFile) -> bool:
    return any(p.upload is upload for p in prepared)


def _store(prepared: list[_Prepared]) -> list[MomentMedia]:
    """Write the files and previews to storage; the rows are saved later, in the transaction."""
    stored: list[MomentMedia] = []
    try:
        for position, item in enumerate(prepared):
            stem = uuid.uuid4().hex
            media = MomentMedia(
                kind=MomentMediaKind.IMAGE if item.info.kind == MediaKind.IMAGE else MomentMediaKind.VIDEO,
                content_type=item.info.content_type, size=item.info.size, width=item.width, height=item.height,
                position=position,
            )  # fmt: skip
            stored.append(media)
            item.upload.seek(0)
            media.file.save(f"{stem}.{item.info.extension}", item.upload, save=False)
            if item.preview is not None:
                media.preview.save(f"{stem}-preview.jpg", ContentFile(item.preview), save=False)
    except BaseException:
        _discard(stored)
        raise
    return stored


def _discard(media: Iterable[MomentMedia]) -> None:
    _delete_files([name for m in media for name in (m.file.name, m.preview.name) if name])


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - a file already gone is what we wanted
            pass


# --- posting -----------------------------------------------------------------------------------------------------


def moment_post(
    *, actor: Actor, lesson: Lesson, text: str, files: Sequence[UploadedFile] = (),
    posters: Mapping[int, UploadedFile] | None = None,
) -> Moment:  # fmt: skip
    """A teacher of the lesson posts a moment (text, 0–9 photos or videos, videos' poster frames by file index); it
    waits for the school's review, whose admins are told."""
    author = actor.user
    if actor.role not in TEACHING_ROLES or author is None:
        raise PermissionDenied("只有任课教师可以发布课堂风采")
    if not taught_lessons(actor).filter(pk=lesson.pk).exists():
        raise NotFound()
    text = _clean_text(text)
    _check_lesson(lesson)
    # Checking and thumbnailing up to nine files takes a while: done before the transaction, so no row lock (nor
    # SQLite's write lock) is held meanwhile.
    prepared = _prepare([f for f in files if f], posters or {})
    stored = _store(prepared)
    try:
        return _moment_create(actor=actor, author=author, lesson=lesson, text=text, media=stored)
    except BaseException:
        _discard(stored)
        raise


@transaction.atomic
def _moment_create(*, actor: Actor, author: User, lesson: Lesson, text: str, media: list[MomentMedia]) -> Moment:
    lesson = Lesson.objects.select_related("section", "section__school", "section__course").get(pk=lesson.pk)
    _check_lesson(lesson)
    section = lesson.section
    moment = Moment.objects.create(section=section, lesson=lesson, author=author, text=text)
    for item in media:
        item.moment = moment
    MomentMedia.objects.bulk_create(media)
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=moment,
        detail={"lesson": lesson.pk, "section": section.pk, "media": [m.kind for m in media],
                "posters": sum(1 for m in media if m.kind == MomentMediaKind.VIDEO and m.preview)},
    )  # fmt: skip
    who, when = selectors.teacher_name_of(author), selectors.lesson_when(lesson)
    notify(
        recipients=selectors.school_admin_ids(section.school_id), kind=NotificationKind.MOMENT,
        title="有新的课堂风采待审核",
        body=f"{who}发布了“{section.course.name}”（{section.name}）{when} 的课堂风采。",
        link=reverse("feedback:moment_review"), data={"moment_id": moment.pk, "section_id": section.pk},
    )  # fmt: skip
    return moment


# --- review ------------------------------------------------------------------------------------------------------


def _lock(moment: Moment) -> Moment:
    if Moment.objects.select_for_update().filter(pk=moment.pk).first() is None:
        raise NotFound()
    # Related rows are read after the lock (a FOR UPDATE with joins would lock them too).
    return Moment.objects.select_related("section", "section__school", "section__course", "lesson", "author").get(
        pk=moment.pk
    )


@transaction.atomic
def moment_review(*, actor: Actor, moment: Moment, approve: bool, reason: str = "") -> Moment:
    """The school's admin approves a pending moment (the families of the section and the author are told) or rejects
    it with a reason (the author is told)."""
    moment = _lock(moment)
    if not selectors.may_review(actor, moment):
        raise PermissionDenied("只有本校管理员可以审核课堂风采")
    if moment.status != MomentStatus.PENDING:
        raise Conflict("moment_decided", f"这条课堂风采{moment.get_status_display()}，不能再审核")
    reason = "" if approve else _clean_reason(reason)
    moment.status = MomentStatus.APPROVED if approve else MomentStatus.REJECTED
    moment.reviewed_by = actor.user
    moment.reviewed_at = timeutil.now()
    moment.reject_reason = reason
    moment.save(update_fields=["status", "reviewed_by", "reviewed_at", "reject_reason", "updated_at"])
    record_write(
        actor=actor, event=AuditEventType.UPDATE, obj=moment, detail={"decision": moment.status, "reason": reason}
    )
    section, course = moment.section, moment.section.course.name
    when = selectors.lesson_when(moment.lesson)
    data = {"moment_id": moment.pk, "section_id": section.pk, "status": moment.status}
    mine = reverse("feedback:my_moments")
    if approve:
        summary = moment.text if len(moment.text) <= 60 else moment.text[:59] + "…"
        notify(
            recipients=selectors.family_recipient_ids(section), kind=NotificationKind.MOMENT,
            title=f"课堂风采：{course}",
            body=f"{selectors.teacher_name(moment)}发布了 {when} 的课堂风采：{summary}", link=reverse("feedback:feed"),
            data=data,
        )  # fmt: skip
        notify(
            recipients=[moment.author_id], kind=NotificationKind.MOMENT, title="课堂风采已通过审核",
            body=f"您发布的“{course}”（{section.name}）{when} 的课堂风采已通过审核，家长可以看到了。", link=mine,
            data=data,
        )  # fmt: skip
    else:
        notify(
            recipients=[moment.author_id], kind=NotificationKind.MOMENT, title="课堂风采未通过审核",
            body=f"您发布的“{course}”（{section.name}）{when} 的课堂风采未通过审核。驳回原因：{reason}", link=mine,
            data=data,
        )  # fmt: skip
    return moment


# --- deletion ----------------------------------------------------------------------------------------------------


@transaction.atomic
def moment_delete(*, actor: Actor, moment: Moment) -> None:
    """The author deletes its own moment while it is pending or rejected; the files go once the deletion commits."""
    moment = _lock(moment)
    if actor.user_id is None or moment.author_id != actor.user_id:
        raise PermissionDenied("只有发布的教师本人可以删除课堂风采")
    if moment.status == MomentStatus.APPROVED:
        raise Conflict("moment_approved", "已通过审核的课堂风采不能删除")
    media = list(moment.media.all())
    record_write(
        actor=actor, event=AuditEventType.DELETE, obj=moment,
        detail={"lesson": moment.lesson_id, "section": moment.section_id, "status": moment.status,
                "text": moment.text[:200], "media": len(media)},
    )  # fmt: skip
    moment.delete()
    names = [name for m in media for name in (m.file.name, m.preview.name) if name]
    transaction.on_commit(lambda: _delete_files(names))
