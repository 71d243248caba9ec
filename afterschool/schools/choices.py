from django.db import models


class TermNumber(models.IntegerChoices):
    FIRST = 1, "第一学期"
    SECOND = 2, "第二学期"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", "放假"
    MAKEUP = "makeup", "调休上课"
    NO_SERVICE = "no_service", "无课后服务"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class GuardianRelation(models.TextChoices):
    FATHER = "father", "父亲"
    MOTHER = "mother", "母亲"
    GRANDFATHER = "grandfather", "祖父/外祖父"
    GRANDMOTHER = "grandmother", "祖母/外祖母"
    OTHER = "other", "其他监护人"


class VenueKind(models.TextChoices):
    CLASSROOM = "classroom", "教室"
    GYM = "gym", "体育馆"
    FIELD = "field", "操场"
    LAB = "lab", "实验室"
    MUSIC = "music", "音乐教室"
    ART = "art", "美术教室"
    COMPUTER = "computer", "计算机教室"
    LIBRARY = "library", "图书馆"
    OTHER = "other", "其他"


class StaffRole(models.TextChoices):
    TEACHER = "teacher", "任课教师"
    HEAD_TEACHER = "head_teacher", "班主任"
    AFTERSCHOOL_OFFICE = "afterschool_office", "课后服务办公室"
    PATROL = "patrol", "巡课"
    LEADER = "leader", "学校领导"
    OTHER = "other", "其他"
