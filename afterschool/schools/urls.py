from afterschool.schools.views import contacts, imports, overview, people, structure, terms, timetable, venues

app_name = "schools"

urlpatterns = [
    *terms.urlpatterns,
    *structure.urlpatterns,
    *people.urlpatterns,
    *venues.urlpatterns,
    *contacts.urlpatterns,
    *timetable.urlpatterns,
    *imports.urlpatterns,
    *overview.urlpatterns,
]
