from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "afterschool.core"
    label = "core"
    verbose_name = "基础"


class PlatformAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the platform's own site (system admins only, platform login)."""

    default = False
    default_site = "afterschool.core.admin.PlatformAdminSite"
