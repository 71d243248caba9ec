"""/api/v1/payments/ — supervision."""

from ninja import Router

router = Router(tags=["选课缴费"])
