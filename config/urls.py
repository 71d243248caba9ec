from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("", include("afterschool.core.urls")),
    path("accounts/", include("afterschool.accounts.urls")),
    path("tenancy/", include("afterschool.tenancy.urls")),
    path("school/", include("afterschool.schools.urls")),
    path("courses/", include("afterschool.courses.urls")),
    path("scheduling/", include("afterschool.scheduling.urls")),
    path("enrollment/", include("afterschool.enrollment.urls")),
    path("payments/", include("afterschool.payments.urls")),
    path("attendance/", include("afterschool.attendance.urls")),
    path("patrol/", include("afterschool.patrol.urls")),
    path("feedback/", include("afterschool.feedback.urls")),
    path("notifications/", include("afterschool.notifications.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "afterschool.core.views.error_400"
handler403 = "afterschool.core.views.error_403"
handler404 = "afterschool.core.views.error_404"
handler500 = "afterschool.core.views.error_500"
