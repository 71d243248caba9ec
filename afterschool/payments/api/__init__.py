"""/api/v1/payments/: one router per area, mounted together."""

from ninja import Router

from . import orders, pay, reconciliation, refunds, settlement, supervision, waitlist

router = Router()
for module in (orders, waitlist, pay, refunds, settlement, reconciliation, supervision):
    router.add_router("", module.router)
