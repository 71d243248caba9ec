"""/api/v1/payments/ — waitlist."""

from ninja import Router

router = Router(tags=["选课缴费"])
