"""Notifications (§5.4.5): the in-app notification, written in the same transaction as the event that causes it; its
deliveries over the other channels a person chose for that kind (SMS, WeChat), sent after commit and retried; the
messages the recording channel backend keeps in development and tests; and school announcements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.core.models import TimeStampedModel
from afterschool.tenancy.scoping import ScopeRule

from .choices import Audience, Channel, DeliveryStatus, NotificationKind


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=32, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), max_length=2000, blank=True)
    link = models.CharField(_("链接"), max_length=255, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    scope_rule = ScopeRule(owner="recipient")

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(TimeStampedModel):
    """The channels a person wants for one kind of notification besides the in-app centre. No row: in-app only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(_("类型"), max_length=32, choices=NotificationKind.choices)
    channels = models.JSONField(_("渠道"), default=list, blank=True)

    scope_rule = ScopeRule(owner="user")

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"


class Delivery(models.Model):
    """One notification over one channel: written with the notification, sent after commit by a task, retried
    with back-off when the channel fails, never blocking what caused it."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    provider_ref = models.CharField(_("渠道回执"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_rule = ScopeRule(owner="notification__recipient")

    class Meta:
        verbose_name = _("通知投递")
        verbose_name_plural = _("通知投递")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.notification} → {self.channel}"


class OutboxMessage(models.Model):
    """What the recording channel backend "sent" (development and tests; real providers are configuration)."""

    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="+"
    )
    address = models.CharField(_("地址（脱敏）"), max_length=64, blank=True)
    template = models.CharField(_("模板"), max_length=64, blank=True)
    body = models.TextField(_("内容"), max_length=2000)
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("投递"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_rule = ScopeRule(owner="recipient")

    class Meta:
        verbose_name = _("模拟发送记录")
        verbose_name_plural = _("模拟发送记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient}"


class Announcement(TimeStampedModel):
    """学校公告: a school's message to all its parents, a grade's, a class's or a section's parents, or its
    teachers; each recipient gets a notification of kind announcement."""

    school = models.ForeignKey(
        "tenancy.School", verbose_name=_("学校"), on_delete=models.PROTECT, related_name="announcements"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("标题"), max_length=60)
    body = models.TextField(_("内容"), max_length=2000)
    audience = models.CharField(_("对象"), max_length=16, choices=Audience.choices)
    grade = models.ForeignKey(
        "schools.Grade", verbose_name=_("年级"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school_class = models.ForeignKey(
        "schools.SchoolClass", verbose_name=_("班级"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    section = models.ForeignKey(
        "scheduling.Section", verbose_name=_("课班"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    recipient_count = models.PositiveIntegerField(_("接收人数"), default=0)

    scope_rule = ScopeRule(region="school__region", school="school")

    class Meta:
        verbose_name = _("学校公告")
        verbose_name_plural = _("学校公告")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
