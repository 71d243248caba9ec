from django.urls import path

from . import views

app_name = "tenancy"

urlpatterns = [
    *views.region_crud.urls("regions"),
    *views.school_crud.urls("schools"),
    *views.organization_crud.urls("organizations"),
    path("organizations/<int:pk>/status/", views.organization_status_view, name="organization_status"),
]
