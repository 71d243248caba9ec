"""Production-like settings for bench_enrol_rush.py's app servers, runnable on a development machine.

Like config.settings.production where it matters for a request (DEBUG off, persistent PostgreSQL connections with
health checks, the real password hashers and audit chains), but without its external services: sessions stay in
the database (production keeps them in Redis, which the bench machine does not run), files on local storage.
"""

import os
import warnings

from config.settings.base import *  # noqa: F403

DEBUG = False
# Under ASGI every request runs in its own thread, so a persistent connection (CONN_MAX_AGE > 0) would be one per
# request thread, never reused; Django asks for CONN_MAX_AGE = 0 (or a pool) there.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("RUSH_CONN_MAX_AGE", "0"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Static files are not collected on the bench machine; whitenoise's warning about it would only be noise.
warnings.filterwarnings("ignore", message="No directory at")
# Every 409 of the rush would otherwise log a "Conflict: …" warning line.
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # type: ignore[index]  # noqa: F405
