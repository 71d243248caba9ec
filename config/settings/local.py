"""The embedded default: SQLite, local files, in-process tasks, DEBUG for the developer."""

from .base import *  # noqa: F403

DEBUG = True
INTERNAL_IPS = ["127.0.0.1"]
