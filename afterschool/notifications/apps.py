from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "afterschool.notifications"
    label = "notifications"
    verbose_name = "通知"

    def ready(self) -> None:
        from . import live, signals

        signals.unread_changed.connect(live.on_unread_changed, dispatch_uid="notifications.live.on_unread_changed")
