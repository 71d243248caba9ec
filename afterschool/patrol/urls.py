from afterschool.patrol.views import patrols, rubric

app_name = "patrol"

urlpatterns = [
    *patrols.urlpatterns,
    *rubric.urlpatterns,
]
