from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "afterschool.attendance"
    label = "attendance"
    verbose_name = "考勤与请假"
