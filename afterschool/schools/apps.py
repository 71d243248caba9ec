from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "afterschool.schools"
    label = "schools"
    verbose_name = "学校基础信息"
