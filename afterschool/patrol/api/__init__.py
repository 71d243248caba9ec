"""/api/v1/patrol/: one router per area, mounted together."""

from ninja import Router

from . import patrols, rubric, summary

router = Router()
for module in (patrols, rubric, summary):
    router.add_router("", module.router)
