from afterschool.payments.views import orders, pay, reconciliation, refunds, settlement, supervision, waitlist

app_name = "payments"

urlpatterns = [
    *orders.urlpatterns,
    *waitlist.urlpatterns,
    *pay.urlpatterns,
    *refunds.urlpatterns,
    *settlement.urlpatterns,
    *reconciliation.urlpatterns,
    *supervision.urlpatterns,
]
