"""In-app notifications (§5.4.5). Written in the same transaction as the event that causes them; delivery over
other channels (SMS, WeChat) and the live unread count come with the notifications issue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from afterschool.tenancy.scoping import ScopeRule

from .choices import NotificationKind


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
