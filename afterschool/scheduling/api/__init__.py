"""/api/v1/scheduling/: one router per area, mounted together."""

from ninja import Router

from . import autoschedule, lessons, operations, sections, slots, timetables

router = Router()
for module in (sections, lessons, slots, operations, autoschedule, timetables):
    router.add_router("", module.router)
