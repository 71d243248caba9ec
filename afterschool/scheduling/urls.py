from afterschool.scheduling.views import autoschedule, lessons, operations, sections, slots, timetables

app_name = "scheduling"

urlpatterns = [
    *sections.urlpatterns,
    *lessons.urlpatterns,
    *slots.urlpatterns,
    *operations.urlpatterns,
    *autoschedule.urlpatterns,
    *timetables.urlpatterns,
]
