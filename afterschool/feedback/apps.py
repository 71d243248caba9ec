from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "afterschool.feedback"
    label = "feedback"
    verbose_name = "课堂风采与评价"
