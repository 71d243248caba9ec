"""Production: PostgreSQL, Redis cache/sessions/broker, S3-compatible object storage, TLS in front.

Every secret comes from the environment; a missing one stops the process at start.
"""

import os

from .base import *  # noqa: F403


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"环境变量 {name} 未设置")
    return value


DEBUG = False
SECRET_KEY = _required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = _required("DJANGO_ALLOWED_HOSTS").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    raise RuntimeError("生产环境须设置 DATABASE_URL 指向 PostgreSQL")
# Under ASGI (uvicorn) every request runs in its own thread, so persistent connections are never reused and pile
# up (the enrolment rush benchmark ran PostgreSQL out of connections with CONN_MAX_AGE=60). Connections come from a
# psycopg pool per process instead; size it so workers × max_size stays below PostgreSQL's max_connections.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {  # noqa: F405
    "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
    "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "10")),
    "timeout": int(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
}

REDIS_URL = _required("REDIS_URL")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
# Several app processes: the live unread count goes through Redis pub/sub.
NOTIFICATIONS_LIVE_BACKEND = os.environ.get("NOTIFICATIONS_LIVE_BACKEND", "redis")
NOTIFICATIONS_LIVE_REDIS_URL = os.environ.get("NOTIFICATIONS_LIVE_REDIS_URL", REDIS_URL)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = False

# TLS terminates at nginx in front; it sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

AFTERSCHOOL_SM4_KEYS = {
    key_id: _required(f"AFTERSCHOOL_SM4_KEY_{key_id.upper()}")
    for key_id in _required("AFTERSCHOOL_SM4_KEY_IDS").split(",")
}
AFTERSCHOOL_SM4_ACTIVE_KEY = _required("AFTERSCHOOL_SM4_ACTIVE_KEY")
AFTERSCHOOL_INDEX_KEY = _required("AFTERSCHOOL_INDEX_KEY")
AFTERSCHOOL_AUDIT_KEY = _required("AFTERSCHOOL_AUDIT_KEY")

STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _required("S3_BUCKET"),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL"),
            "access_key": os.environ.get("S3_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY"),
            "region_name": os.environ.get("S3_REGION"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGGING["root"]["level"] = "INFO"  # type: ignore[index]  # noqa: F405

# The bank: real merchant and bank keys (SM2, hex), never the development pair.
PAYMENT_GATEWAY = {
    "url": _required("PAYMENT_BANK_URL"),
    "merchant_id": _required("PAYMENT_MERCHANT_ID"),
    "merchant_private_key": _required("PAYMENT_MERCHANT_PRIVATE_KEY"),
    "bank_public_key": _required("PAYMENT_BANK_PUBLIC_KEY"),
    "notify_base_url": _required("PAYMENT_NOTIFY_BASE_URL"),
    "timeout": 10,
}
