from afterschool.attendance.views import checkin, geofence, leave, roll, stats

app_name = "attendance"

urlpatterns = [
    *roll.urlpatterns,
    *checkin.urlpatterns,
    *geofence.urlpatterns,
    *leave.urlpatterns,
    *stats.urlpatterns,
]
