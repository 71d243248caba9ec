"""/api/v1/courses/: one router per area, mounted together."""

from ninja import Router

from . import catalogue, dispatch, review, stats, teachers

router = Router()
for module in (catalogue, review, teachers, dispatch, stats):
    router.add_router("", module.router)
