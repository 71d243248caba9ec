from afterschool.feedback.views import evaluations, materials, moments

app_name = "feedback"

urlpatterns = [
    *moments.urlpatterns,
    *materials.urlpatterns,
    *evaluations.urlpatterns,
]
