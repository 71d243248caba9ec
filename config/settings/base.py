"""Settings shared by every environment. Environment-specific modules import * from here."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-insecure-secret-key-change-me-in-production-0123456789")
DEBUG = False
ALLOWED_HOSTS: list[str] = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "afterschool.core.apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "csp",
    "axes",
    "afterschool.core",
    "afterschool.accounts",
    "afterschool.tenancy",
    "afterschool.schools",
    "afterschool.courses",
    "afterschool.scheduling",
    "afterschool.enrollment",
    "afterschool.notifications",
    "afterschool.payments",
    "afterschool.attendance",
    "afterschool.patrol",
    "afterschool.feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "afterschool.core.middleware.ApiErrorShapeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "afterschool.accounts.middleware.SessionMiddleware",  # Django's, but a live stream does not extend the session
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "afterschool.accounts.middleware.ActorMiddleware",
    "afterschool.accounts.middleware.PasswordChangeRequiredMiddleware",
    "afterschool.accounts.middleware.SystemAdminAccessAuditMiddleware",
    # Axes must come last so it sees the final response of a failed login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "afterschool.accounts.context_processors.actor",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the embedded default serve several requests at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "afterschool.accounts.backends.UsernameOrMobileBackend",
]

PASSWORD_HASHERS = [
    "afterschool.accounts.hashers.PBKDF2SM3PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "afterschool.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "afterschool.accounts.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "afterschool.accounts.validators.NotUsernameValidator"},
    {"NAME": "afterschool.accounts.validators.CommonPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions end after 30 idle minutes: every request pushes the expiry forward.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "afterschool.core.views.csrf_failure"

# Login lockout (GB/T 22239 level 3): 5 failures lock the account for 30 minutes (django-axes). The client
# address is throttled separately and more loosely, since a whole school or a carrier NAT may share one address.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AFTERSCHOOL_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AFTERSCHOOL_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AFTERSCHOOL_LOGIN_ADDRESS_BLOCK = timedelta(minutes=30)
AXES_USERNAME_CALLABLE = "afterschool.accounts.services.login_identity_for_lockout"
AXES_LOCKOUT_CALLABLE = "afterschool.accounts.views.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not extend it: the time the user is told stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Third-party front-end assets come from the npm registry at install time, never from a CDN.
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
# Upload limits per media kind (JY/T 0650 formats, checked by content in core/media.py). Files are served only
# through views that check who may read them, never from MEDIA_URL.
_MB = 1024 * 1024
MEDIA_SIZE_LIMITS = {"document": 50 * _MB, "image": 10 * _MB, "audio": 50 * _MB, "video": 300 * _MB}
# Large uploads spool to disk beyond this size instead of staying in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * _MB
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Security headers. CSP forbids inline script: every script is a static file.
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        # blob: lets the page read a chosen video's first frame (its poster) before uploading it.
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "afterschool"},
}

# Cryptography (§6.2.1). Keys are hex; SM4 keys are 16 bytes. The active key encrypts, every listed key decrypts.
AFTERSCHOOL_SM4_KEYS = {
    "dev1": os.environ.get("AFTERSCHOOL_SM4_KEY_DEV1", "0123456789abcdeffedcba9876543210"),
}
AFTERSCHOOL_SM4_ACTIVE_KEY = os.environ.get("AFTERSCHOOL_SM4_ACTIVE_KEY", "dev1")
AFTERSCHOOL_INDEX_KEY = os.environ.get("AFTERSCHOOL_INDEX_KEY", "00112233445566778899aabbccddeeff")
# Independent audit chains: write transactions of different people do not wait on one chain's lock.
AFTERSCHOOL_AUDIT_CHAINS = int(os.environ.get("AFTERSCHOOL_AUDIT_CHAINS", "16"))
AFTERSCHOOL_AUDIT_KEY = os.environ.get("AFTERSCHOOL_AUDIT_KEY", "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf")

# API tokens
AFTERSCHOOL_API_TOKEN_DEFAULT_DAYS = 90

# Celery: tasks run in-process in the embedded default; production points at Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", None)
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"afterschool": {"level": "INFO"}},
}

# RoleMembership's unique (user, role, scope) relies on NULLS NOT DISTINCT, which PostgreSQL enforces; on
# SQLite the membership services' get_or_create keeps it.
# axes.W006: the client address is throttled by the platform's own counter (accounts.services), not by axes.
SILENCED_SYSTEM_CHECKS = ["models.W047", "axes.W006"]

# The bank gateway (the simulated bank in development and tests: `python -m simbank`). Merchant and bank SM2 keys
# default to the development pair in afterschool/payments/gateway.py; production settings require real ones.
PAYMENT_GATEWAY: dict[str, Any] = {
    "url": os.environ.get("SIMBANK_URL", "http://127.0.0.1:8700"),
    "notify_base_url": os.environ.get("PAYMENT_NOTIFY_BASE_URL", "http://127.0.0.1:8000"),
}

# The domain in the UIDs of calendar feed events (lesson-<pk>@<domain>): set it in production so calendar apps
# see the same event whichever host name they subscribed through. Empty: the request's host.
AFTERSCHOOL_CALENDAR_DOMAIN = os.environ.get("AFTERSCHOOL_CALENDAR_DOMAIN", "")

# Notifications (§5.4.5). The live unread count is pushed to open pages (server-sent events): "memory" within one
# process (the embedded default), "redis" across app processes (production, NOTIFICATIONS_LIVE_REDIS_URL). The
# channel backends send SMS and WeChat template messages; "recording" keeps them in the database (development and
# tests), a real provider is a dotted path to a class with the same interface.
NOTIFICATIONS_LIVE_BACKEND = os.environ.get("NOTIFICATIONS_LIVE_BACKEND", "memory")
NOTIFICATIONS_LIVE_REDIS_URL = os.environ.get("NOTIFICATIONS_LIVE_REDIS_URL", "redis://127.0.0.1:6379/0")
NOTIFICATIONS_CHANNEL_BACKENDS = {
    "sms": os.environ.get("NOTIFICATIONS_SMS_BACKEND", "afterschool.notifications.channels.RecordingChannel"),
    "wechat": os.environ.get("NOTIFICATIONS_WECHAT_BACKEND", "afterschool.notifications.channels.RecordingChannel"),
}

CELERY_BEAT_SCHEDULE = {
    "audit-verify-daily": {
        "task": "accounts.audit_verify_daily",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 6 * 60 * 60},
    },
    # Unpaid orders close at their deadline and free the seat; expired waitlist offers pass to the next child.
    "payments-close-expired-orders": {
        "task": "payments.close_expired_orders",
        "schedule": 60,
        "options": {"expires": 50},
    },
    # Pending payments whose notice never came are asked of the bank.
    "payments-query-pending": {
        "task": "payments.query_pending_payments",
        "schedule": 120,
        "options": {"expires": 100},
    },
    "payments-expire-waitlist-offers": {
        "task": "payments.expire_waitlist_offers",
        "schedule": 60,
        "options": {"expires": 50},
    },
    # The bank's statement of the day before, fetched, imported and matched (a day already imported is skipped).
    "payments-reconcile-yesterday": {
        "task": "payments.reconcile_yesterday",
        "schedule": crontab(hour=2, minute=30),
    },
    # Notification deliveries (SMS, WeChat) that failed, or whose enqueue was lost, are tried again.
    "notifications-retry-deliveries": {
        "task": "notifications.retry_deliveries",
        "schedule": 60,
        "options": {"expires": 50},
    },
    # open → running on a section's first lesson day, running → finished after its last (idempotent; hourly so a
    # missed run catches up the same day).
    "scheduling-advance-section-statuses": {
        "task": "scheduling.advance_section_statuses",
        "schedule": 60 * 60,
        "options": {"expires": 30 * 60},
    },
}
