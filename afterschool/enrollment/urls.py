from django.urls import path

from . import views

app_name = "enrollment"

urlpatterns = [
    path("sections/<int:section_id>/students/", views.section_students, name="section_students"),
    path("sections/<int:section_id>/students/add/", views.section_enrol, name="section_enrol"),
    path("sections/<int:section_id>/students/add-batch/", views.section_enrol_batch, name="section_enrol_batch"),
    path("enrollments/<int:enrollment_id>/remove/", views.enrollment_remove, name="enrollment_remove"),
]
