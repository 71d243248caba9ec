"""/api/v1/feedback/: one router per area, mounted together."""

from ninja import Router

from . import evaluations, materials, moments

router = Router()
for module in (moments, materials, evaluations):
    router.add_router("", module.router)
