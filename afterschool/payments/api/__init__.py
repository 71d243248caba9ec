"""/api/v1/payments/: one router per area, mounted together."""

from ninja import Router

from . import orders, waitlist

router = Router()
for module in (orders, waitlist):
    router.add_router("", module.router)
