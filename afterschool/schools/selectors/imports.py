"""Reads for batch import: the files an import keeps for the user who ran it (error copy, initial passwords)."""

from __future__ import annotations

import base64
import re

from django.core.cache import cache

from afterschool.core import crypto
from afterschool.core.errors import NotFound
from afterschool.tenancy.actor import Actor

# Tokens are issued by secrets.token_urlsafe; anything else is not a token (and never reaches a cache key).
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def stash_key(actor: Actor, purpose: str, token: str) -> str:
    """Keyed by the user: another user's token finds nothing."""
    return f"schools:import:{purpose}:{actor.user_id}:{token}"


def stash_get(*, actor: Actor, purpose: str, token: str) -> bytes:
    """A file kept for the actor by one of its imports; another user's token (or an expired one) is a 404."""
    if actor.user_id is None or not _TOKEN_RE.fullmatch(token or ""):
        raise NotFound("文件不存在或已过期")
    sealed = cache.get(stash_key(actor, purpose, token))
    if sealed is None:
        raise NotFound("文件不存在或已过期")
    return base64.b64decode(crypto.decrypt_text(sealed, aad=f"import:{actor.user_id}"))


def import_error_file_get(*, actor: Actor, token: str) -> bytes:
    """The copy of the actor's rejected upload with the “错误” column."""
    return stash_get(actor=actor, purpose="errors", token=token)
