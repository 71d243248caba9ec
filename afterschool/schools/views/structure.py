"""Pages: structure."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
