from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "afterschool.payments"
    label = "payments"
    verbose_name = "缴费与资金"
