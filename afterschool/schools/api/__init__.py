"""/api/v1/schools/: one router per area, mounted together."""

from ninja import Router

from . import contacts, exports, imports, overview, people, structure, terms, timetable, venues

router = Router()
for module in (terms, structure, people, venues, contacts, timetable, imports, overview, exports):
    router.add_router("", module.router)
