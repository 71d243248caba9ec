from importlib import import_module

from django.urls import URLPattern, URLResolver

app_name = "payments"

AREAS = ("orders", "waitlist", "pay", "refunds", "settlement", "reconciliation", "supervision")

urlpatterns: list[URLPattern | URLResolver] = []
for area in AREAS:
    try:
        module = import_module(f"afterschool.payments.views.{area}")
    except ModuleNotFoundError:
        continue
    urlpatterns += getattr(module, "urlpatterns", [])
