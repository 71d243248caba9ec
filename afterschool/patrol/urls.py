from afterschool.patrol.views import patrols, rubric, summary

app_name = "patrol"

urlpatterns = [
    *patrols.urlpatterns,
    *rubric.urlpatterns,
    *summary.urlpatterns,
]
