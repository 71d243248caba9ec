"""/api/v1/payments/ — settlement."""

from ninja import Router

router = Router(tags=["选课缴费"])
