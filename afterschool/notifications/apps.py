from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "afterschool.notifications"
    label = "notifications"
    verbose_name = "通知"
