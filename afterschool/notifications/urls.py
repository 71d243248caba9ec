from afterschool.notifications.views import announcements, inbox, preferences, stream

app_name = "notifications"

urlpatterns = [
    *inbox.urlpatterns,
    *preferences.urlpatterns,
    *announcements.urlpatterns,
    *stream.urlpatterns,
]
