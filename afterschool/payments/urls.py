from afterschool.payments.views import orders, waitlist

app_name = "payments"

urlpatterns = [*orders.urlpatterns, *waitlist.urlpatterns]
