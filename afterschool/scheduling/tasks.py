"""Background work of scheduling: sections move open → running → finished by their lesson dates (beat entry
"scheduling-advance-section-statuses" in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="scheduling.advance_section_statuses")
def advance_section_statuses() -> dict[str, int]:
    """Daily: open → running on the first lesson's date, running → finished after the last lesson. Safe to retry."""
    from .services.sections import section_advance_statuses

    return section_advance_statuses(today=timezone.localdate())
