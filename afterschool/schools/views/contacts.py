"""Pages: contacts."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
