"""/api/v1/notifications/: one router per area, mounted together."""

from ninja import Router

from . import announcements, inbox, preferences

router = Router()
for module in (inbox, preferences, announcements):
    router.add_router("", module.router)
