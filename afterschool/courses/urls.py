from afterschool.courses.views import catalogue, dispatch, review, stats, teachers

app_name = "courses"

urlpatterns = [
    *catalogue.urlpatterns,
    *review.urlpatterns,
    *teachers.urlpatterns,
    *dispatch.urlpatterns,
    *stats.urlpatterns,
]
