"""Pages: people."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
