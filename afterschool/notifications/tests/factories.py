"""Factories for the notifications tests."""

from __future__ import annotations

import factory

from afterschool.notifications.models import Announcement, Delivery, Notification, NotificationPreference


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    kind = "enrollment"
    title = factory.Sequence(lambda n: f"通知{n}")
    body = "内容"


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    notification = factory.SubFactory(NotificationFactory)
    channel = "sms"


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    kind = "attendance"
    channels = ["sms"]


class AnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Announcement

    title = factory.Sequence(lambda n: f"公告{n}")
    body = "明天下午课后服务照常进行。"
    audience = "all_parents"
