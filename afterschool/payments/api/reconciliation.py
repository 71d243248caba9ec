"""/api/v1/payments/ — reconciliation."""

from ninja import Router

router = Router(tags=["选课缴费"])
