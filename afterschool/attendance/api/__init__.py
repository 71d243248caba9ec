"""/api/v1/attendance/: one router per area, mounted together."""

from ninja import Router

from . import checkin, geofence, leave, roll, stats

router = Router()
for module in (roll, checkin, geofence, leave, stats):
    router.add_router("", module.router)
