"""/api/v1/enrollment/."""

from ninja import Router

router = Router(tags=["选课报名"])
