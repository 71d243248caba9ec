"""Background work of payments (beat entries in settings.CELERY_BEAT_SCHEDULE), each idempotent: unpaid orders
close at their deadline, expired waitlist offers pass on, pending payments whose notice never came are queried,
and yesterday's bank statement is reconciled."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="payments.close_expired_orders")
def close_expired_orders() -> int:
    """Close PENDING orders past their deadline: order closed, enrolment expired, seat freed. Safe to retry."""
    from .services.orders import orders_close_expired

    return orders_close_expired(now=timezone.now())


@shared_task(name="payments.expire_waitlist_offers")
def expire_waitlist_offers() -> int:
    """Expire unpaid waitlist offers and pass their seats to the next child."""
    from .services.waitlist import waitlist_offers_expire

    return waitlist_offers_expire(now=timezone.now())


@shared_task(name="payments.reconcile_yesterday")
def reconcile_yesterday() -> int | None:
    """Fetch yesterday's statement from the bank and reconcile it (a day already imported is skipped)."""
    from .services.reconciliation import reconcile_yesterday as run

    return run()


@shared_task(name="payments.query_pending_payments")
def query_pending_payments() -> int:
    """Ask the bank about pending payments whose notice never came, and credit those it says are paid."""
    from .services.pay import payments_query_pending

    return payments_query_pending(now=timezone.now())
