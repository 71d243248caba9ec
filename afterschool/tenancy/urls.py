from django.contrib.auth.decorators import login_required
from django.urls import path

from . import views

app_name = "tenancy"

urlpatterns = [
    *views.region_crud.urls("regions"),
    *views.school_crud.urls("schools"),
    *views.organization_crud.urls("organizations"),
    path("organizations/<int:pk>/status/", views.organization_status_view, name="organization_status"),
    # 入驻申请: public form and status look-up (no login) …
    path("apply/", views.apply_view, name="apply"),
    path("apply/done/", views.apply_done_view, name="apply_done"),
    path("apply/status/", views.apply_status_view, name="apply_status"),
    # … and the bureau's review.
    path("applications/", login_required(views.application_crud.list_view), name="application_list"),
    path("applications/<int:pk>/", views.application_detail_view, name="application_detail"),
    path("applications/<int:pk>/licence/", views.application_licence_view, name="application_licence"),
    path("applications/<int:pk>/approve/", views.application_approve_view, name="application_approve"),
    path("applications/<int:pk>/approved/", views.application_approved_view, name="application_approved"),
    path("applications/<int:pk>/reject/", views.application_reject_view, name="application_reject"),
    *views.partnership_crud.urls("partnerships"),
    path("partnerships/<int:pk>/end/", views.partnership_end_view, name="partnership_end"),
]
