"""Pages: slots."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
