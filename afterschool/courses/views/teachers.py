"""Pages: teachers."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
