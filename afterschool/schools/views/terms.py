"""Pages: terms."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
