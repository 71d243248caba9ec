"""/api/v1/patrol/: one router per area, mounted together."""

from ninja import Router

from . import patrols, rubric

router = Router()
for module in (patrols, rubric):
    router.add_router("", module.router)
