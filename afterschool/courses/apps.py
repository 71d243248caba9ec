from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "afterschool.courses"
    label = "courses"
    verbose_name = "课程与师资"
