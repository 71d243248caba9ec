from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "地市级"
    DISTRICT = "district", "区县级"


class SchoolType(models.TextChoices):
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    NINE_YEAR = "nine_year", "九年一贯制学校"
    TWELVE_YEAR = "twelve_year", "十二年一贯制学校"
    COMPLETE_SECONDARY = "complete_secondary", "完全中学"
    SENIOR = "senior", "高中"
    SPECIAL = "special", "特殊教育学校"


class SchoolNature(models.TextChoices):
    PUBLIC = "public", "公办"
    PRIVATE = "private", "民办"


class OrganizationStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    ACTIVE = "active", "已入驻"
    SUSPENDED = "suspended", "已暂停"
    EXITED = "exited", "已退出"


class OrganizationKind(models.TextChoices):
    YOUTH_PALACE = "youth_palace", "少年宫"
    ACTIVITY_CENTER = "activity_center", "青少年活动中心"
    COMMUNITY = "community", "社区机构"
    COMPANY = "company", "企业"
    OTHER = "other", "其他"


class PartnershipStatus(models.TextChoices):
    ACTIVE = "active", "合作中"
    ENDED = "ended", "已结束"


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已驳回"
