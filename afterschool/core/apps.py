from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "afterschool.core"
    label = "core"
    verbose_name = "基础"
