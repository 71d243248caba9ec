from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "afterschool.scheduling"
    label = "scheduling"
    verbose_name = "排课与课表"
