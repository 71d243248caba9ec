from django.urls import URLPattern

app_name = "enrollment"

urlpatterns: list[URLPattern] = []
