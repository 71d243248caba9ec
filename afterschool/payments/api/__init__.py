"""/api/v1/payments/: one router per area, mounted together (an area module without a `router` yet is skipped)."""

from importlib import import_module

from ninja import Router

AREAS = ("orders", "waitlist", "pay", "refunds", "settlement", "reconciliation", "supervision")

router = Router()
for area in AREAS:
    try:
        module = import_module(f"{__name__}.{area}")
    except ModuleNotFoundError:
        continue
    if hasattr(module, "router"):
        router.add_router("", module.router)
