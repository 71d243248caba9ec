from django.apps import AppConfig


class PatrolConfig(AppConfig):
    name = "afterschool.patrol"
    label = "patrol"
    verbose_name = "巡课"
