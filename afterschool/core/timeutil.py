"""Time helpers. Everything reads the clock through django.utils.timezone.now()."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def local_today() -> dt.date:
    return timezone.localdate()


def local_now() -> dt.datetime:
    """The school's wall-clock time now (naive, Asia/Shanghai): what lesson dates and times are compared with."""
    return timezone.localtime(now()).replace(tzinfo=None)
