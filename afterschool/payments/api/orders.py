"""/api/v1/payments/ — orders."""

from ninja import Router

router = Router(tags=["选课缴费"])
