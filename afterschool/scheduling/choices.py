from django.db import models


class SectionMode(models.TextChoices):
    CLASS = "class", "原班"  # the students of chosen home classes, in their class
    WALKING = "walking", "走班"  # students of the eligible grades enrol; they come from several classes


class SectionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    OPEN = "open", "报名中"
    RUNNING = "running", "开课中"
    FINISHED = "finished", "已结课"
    CANCELLED = "cancelled", "已取消"


class LessonStatus(models.TextChoices):
    SCHEDULED = "scheduled", "正常"
    CANCELLED = "cancelled", "已取消"


class SectionEventKind(models.TextChoices):
    CREATED = "created", "新建课班"
    UPDATED = "updated", "修改课班"
    STATUS = "status", "状态变更"
    LESSONS_GENERATED = "lessons_generated", "生成课次"
    LESSON_MOVED = "lesson_moved", "调课"
    LESSON_CANCELLED = "lesson_cancelled", "停课"
    LESSON_MAKEUP = "lesson_makeup", "补课"
    SUBSTITUTE = "substitute", "代课"
    ENROLLED = "enrolled", "加入学生"
    REMOVED = "removed", "移出学生"
    SPLIT = "split", "分班"
    STUDENTS_MOVED = "students_moved", "调班"
    CANCELLED = "cancelled", "取消课班"
    AUTO_SCHEDULED = "auto_scheduled", "自动排课"


class SchedulingRunStatus(models.TextChoices):
    PROPOSED = "proposed", "待确认"
    INFEASIBLE = "infeasible", "无可行方案"
    APPLIED = "applied", "已应用"
    DISCARDED = "discarded", "已放弃"
