"""Writes of patrols (巡课, §5.2.3): a patroller scores a lesson that is running or over today, on the school's
rubric, with the teacher present or not, the head count, a comment and photos. One patrol per lesson and patroller:
the lesson row is locked while the patrol is recorded, and the unique constraint is the last guard. Every write and
every export is audited."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from afterschool.accounts.choices import AuditEventType
from afterschool.accounts.services import record_write
from afterschool.attendance.selectors.common import lesson_started
from afterschool.core import timeutil
from afterschool.core.choices import MediaKind
from afterschool.core.errors import Conflict, PermissionDenied, ValidationFailed
from afterschool.core.export import build_xlsx
from afterschool.core.media import MediaInfo, check_upload
from afterschool.scheduling.choices import LessonStatus
from afterschool.scheduling.models import Lesson
from afterschool.tenancy.actor import Actor

from ..choices import SCALE_RANGE
from ..models import Patrol, PatrolCriterion, PatrolPhoto, PatrolScore
from ..selectors import patrols as selectors
from ..selectors.rubric import active_criteria

PHOTO_KINDS = {MediaKind.IMAGE.value}
COMMENT_MAX = 500
EXPORT_LIMIT = 50000


def score_percent(scored: Sequence[tuple[str, int]]) -> Decimal:
    """The mean over the items of (score − min) / (max − min) × 100, to one decimal (half up): (scale, score)
    pairs."""
    if not scored:
        return Decimal("0.0")
    total = Fraction(0)
    for scale, score in scored:
        low, high = SCALE_RANGE[scale]
        total += Fraction(score - low, high - low)
    mean = total * 100 / len(scored)
    return (Decimal(mean.numerator) / Decimal(mean.denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def patrol_check(*, actor: Actor, lesson: Lesson) -> None:
    """Whether the actor may patrol this lesson now: a patroller, the lesson not cancelled, today and started, not
    its own lesson, not patrolled by it yet. Raises the refusal."""
    selectors.require_patroller(actor)
    if actor.user_id is None:
        raise PermissionDenied("巡课须以本人账号进行", code="not_patroller")
    if lesson.status == LessonStatus.CANCELLED:
        raise Conflict("lesson_cancelled", "这节课已停课，不能巡课")
    now = timeutil.local_now()
    if lesson.date != now.date():
        raise Conflict("not_today", f"只能巡当天的课：这节课在 {lesson.date:%Y-%m-%d}，今天是 {now.date():%Y-%m-%d}")
    if not lesson_started(lesson, now):
        raise Conflict("not_started", f"这节课 {lesson.starts_at:%H:%M} 开始，开课后才能巡课")
    if lesson.teachers.filter(pk=actor.user_id).exists():
        raise Conflict("own_lesson", "您是这节课的任课教师，不能巡自己的课")
    if Patrol.objects.filter(lesson=lesson, patroller_id=actor.user_id).exists():
        raise Conflict("already_patrolled", "您已巡过这节课")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) < 12:
        return int(value.strip())
    return None


def clean_scores(criteria: Sequence[PatrolCriterion], scores: Mapping[Any, Any]) -> dict[int, int]:
    """{criterion id: score} for every active item, each within its scale; unknown or inactive items refused.
    Errors name the form fields `score_<id>` (and `scores` for unknown items)."""
    errors: dict[str, list[str]] = {}
    given: dict[int, Any] = {}
    unknown: list[str] = []
    for key, value in scores.items():
        criterion_id = _as_int(key)
        if criterion_id is None:
            unknown.append(str(key)[:20])
        else:
            given[criterion_id] = value
    known = {c.pk for c in criteria}
    unknown += [str(i) for i in sorted(set(given) - known)]
    if unknown:
        errors["scores"] = [f"评价项不存在或已停用：{'、'.join(unknown[:10])}"]
    out: dict[int, int] = {}
    for criterion in criteria:
        low, high = SCALE_RANGE[criterion.scale]
        if criterion.pk not in given or given[criterion.pk] in (None, ""):
            errors[f"score_{criterion.pk}"] = [f"请为“{criterion.name}”打分"]
            continue
        score = _as_int(given[criterion.pk])
        if score is None or not low <= score <= high:
            errors[f"score_{criterion.pk}"] = [f"“{criterion.name}”的分数应在 {low}–{high} 之间"]
            continue
        out[criterion.pk] = score
    if errors:
        raise ValidationFailed(errors, message="请检查评分")
    return out


def _check_photos(photos: Sequence[UploadedFile], *, already: int = 0) -> list[MediaInfo]:
    if already + len(photos) > selectors.MAX_PHOTOS:
        left = max(selectors.MAX_PHOTOS - already, 0)
        raise ValidationFailed(
            {"photos": [f"每次巡课最多 {selectors.MAX_PHOTOS} 张照片（还可上传 {left} 张）"]},
            message=f"每次巡课最多 {selectors.MAX_PHOTOS} 张照片",
        )
    infos = []
    problems = []
    for upload in photos:
        try:
            infos.append(check_upload(upload, kinds=PHOTO_KINDS, field="photos"))
        except ValidationFailed as exc:
            problems.append(f"照片“{(upload.name or '')[:60]}”：{exc.message}")
    if problems:
        raise ValidationFailed({"photos": problems}, message=problems[0])
    return infos


def _save_photo(patrol: Patrol, upload: UploadedFile, info: MediaInfo) -> PatrolPhoto:
    photo = PatrolPhoto(patrol=patrol, content_type=info.content_type, size=info.size)
    photo.file.save(f"{uuid.uuid4().hex}.{info.extension}", upload, save=False)
    photo.save()
    return photo


def patrol_store(
    *,
    actor: Actor,
    lesson: Lesson,
    criteria: Sequence[PatrolCriterion],
    scores: dict[int, int],
    teacher_present: bool,
    head_count: int,
    comment: str = "",
    photos: Sequence[tuple[UploadedFile, MediaInfo]] = (),
) -> Patrol:
    """Write a checked patrol (the caller holds the lesson's lock): the patrol, its scores with the items' names and
    scales copied, its photos, the audit row. The demo loader calls it for past lessons."""
    if actor.user is None:
        raise PermissionDenied("巡课须以本人账号进行", code="not_patroller")
    by_id = {c.pk: c for c in criteria}
    percent = score_percent([(by_id[i].scale, s) for i, s in scores.items()])
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                lesson=lesson, patroller=actor.user, teacher_present=teacher_present, head_count=head_count,
                comment=comment, score_percent=percent,
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("already_patrolled", "您已巡过这节课") from None
    PatrolScore.objects.bulk_create(
        [
            PatrolScore(patrol=patrol, criterion=c, name=c.name, scale=c.scale, score=scores[c.pk])
            for c in criteria
            if c.pk in scores
        ]
    )
    for upload, info in photos:
        _save_photo(patrol, upload, info)
    record_write(
        actor=actor, event=AuditEventType.CREATE, obj=patrol,
        detail={
            "lesson": lesson.pk, "scores": {by_id[i].name: s for i, s in scores.items()},
            "score_percent": str(percent), "teacher_present": teacher_present, "head_count": head_count,
            "photos": len(photos),
        },
    )  # fmt: skip
    return patrol


@transaction.atomic
def patrol_record(
    *,
    actor: Actor,
    lesson: Lesson,
    scores: Mapping[Any, Any],
    teacher_present: bool,
    head_count: Any,
    comment: str = "",
    photos: Sequence[UploadedFile] = (),
) -> Patrol:
    """Patrol a lesson of the actor's school that has started today (not its own, once per patroller): a score for
    every active rubric item, teacher present or not, the head count (0 to the roll + 10), a comment, ≤ 9 photos
    (jpg/png by content). A second patrol of the same lesson by the same patroller is a 409."""
    lesson = selectors.lesson_for_patrol(actor=actor, lesson_id=lesson.pk)
    # Two submissions of one patroller (a double tap, two phones) queue on the lesson row; the second then finds
    # the first one's patrol. The unique constraint is the last guard.
    list(Lesson.objects.select_for_update().filter(pk=lesson.pk).values_list("pk", flat=True))
    patrol_check(actor=actor, lesson=lesson)
    criteria = active_criteria(lesson.section.school_id)
    if not criteria:
        raise Conflict("no_rubric", "学校还没有设置巡课评价项，请学校管理员先设置后再巡课")
    errors: dict[str, list[str]] = {}
    try:
        cleaned = clean_scores(criteria, scores)
    except ValidationFailed as exc:
        errors.update(exc.detail)
        cleaned = {}
    roll = selectors.roll_size(lesson)
    count = _as_int(head_count)
    most = roll + selectors.HEAD_COUNT_SLACK
    if count is None or not 0 <= count <= most:
        errors["head_count"] = [f"实到人数应在 0–{most} 之间（花名册 {roll} 人）"]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [f"评语最多 {COMMENT_MAX} 个字"]
    uploads = list(photos)
    try:
        infos = _check_photos(uploads)
    except ValidationFailed as exc:
        errors.update(exc.detail)
        infos = []
    if errors:
        raise ValidationFailed(errors, message="；".join(m for ms in errors.values() for m in ms)[:200])
    return patrol_store(
        actor=actor, lesson=lesson, criteria=criteria, scores=cleaned, teacher_present=bool(teacher_present),
        head_count=count or 0, comment=comment, photos=list(zip(uploads, infos, strict=True)),
    )  # fmt: skip


@transaction.atomic
def patrol_add_photo(*, actor: Actor, patrol: Patrol, upload: UploadedFile) -> PatrolPhoto:
    """The patroller adds a photo to its own patrol on the day of the lesson; at most 9 per patrol."""
    selectors.require_patroller(actor)
    patrol = selectors.patrol_get(actor=actor, patrol_id=patrol.pk)
    if patrol.patroller_id != actor.user_id:
        raise PermissionDenied("只有巡课人本人可以为巡课记录添加照片")
    # Photos of one patrol are added one by one, maybe at once from two requests: count under the patrol's lock.
    list(Patrol.objects.select_for_update().filter(pk=patrol.pk).values_list("pk", flat=True))
    if patrol.lesson.date != timeutil.local_now().date():
        raise Conflict("photos_closed", "只能在巡课当天为巡课记录添加照片")
    already = PatrolPhoto.objects.filter(patrol=patrol).count()
    if already >= selectors.MAX_PHOTOS:
        raise Conflict("too_many_photos", f"每次巡课最多 {selectors.MAX_PHOTOS} 张照片")
    info = check_upload(upload, kinds=PHOTO_KINDS, field="file")
    photo = _save_photo(patrol, upload, info)
    record_write(actor=actor, event=AuditEventType.CREATE, obj=photo, detail={"patrol": patrol.pk, "size": info.size})
    return photo


# --- export -------------------------------------------------------------------------------------------------------


PATROL_HEADERS = [
    "日期", "时间", "学校", "课班", "课程", "场地", "任课教师", "巡课人", "巡课时间", "教师在岗", "实到人数",
    "得分率（%）",
]  # fmt: skip


def patrol_export(*, actor: Actor, filters: dict[str, Any] | None = None) -> bytes:
    """The patrols of the list as xlsx, one row per patrol, each rubric item's score in its own column; audited."""
    patrols = list(selectors.patrol_list(actor=actor, filters=filters)[:EXPORT_LIMIT])
    ids = [p.pk for p in patrols]
    scores: dict[int, dict[str, int]] = {i: {} for i in ids}
    items: list[str] = []
    rows_of_scores = (
        PatrolScore.objects.filter(patrol_id__in=ids)
        .order_by("criterion__position", "name", "patrol_id")
        .values_list("patrol_id", "name", "score")
    )
    for patrol_id, name, score in rows_of_scores:
        scores[patrol_id][name] = score
        if name not in items:
            items.append(name)
    teachers = selectors.lesson_teachers_of(patrols)
    rows = []
    for p in patrols:
        lesson = p.lesson
        venue = lesson.venue or lesson.section.venue
        rows.append(
            [
                lesson.date.isoformat(), f"{lesson.starts_at:%H:%M}–{lesson.ends_at:%H:%M}", lesson.section.school.name,
                lesson.section.name, lesson.section.course.name, venue.name if venue else "",
                "、".join(str(t) for t in teachers.get(lesson.pk, [])), str(p.patroller),
                timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M"), "是" if p.teacher_present else "否",
                p.head_count, float(p.score_percent), *[scores[p.pk].get(name, "") for name in items], p.comment,
            ]
        )  # fmt: skip
    record_write(
        actor=actor, event=AuditEventType.EXPORT, obj=actor.user,
        detail={"what": "patrols", "rows": len(rows), "filters": {k: str(v) for k, v in (filters or {}).items() if v}},
    )  # fmt: skip
    return build_xlsx(headers=[*PATROL_HEADERS, *items, "评语"], rows=rows, sheet_title="巡课记录")
