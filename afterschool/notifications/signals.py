"""Signals of the notifications app.

`unread_changed` is sent (after the transaction commits) with `user_ids`, the people whose count of unread
notifications may have changed: new notifications, notifications read. The live push (live.py) listens to it, so
the writing side does not know how open pages are told."""

from __future__ import annotations

from django.dispatch import Signal

unread_changed = Signal()
