from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "afterschool.tenancy"
    label = "tenancy"
    verbose_name = "区域、学校与机构"
