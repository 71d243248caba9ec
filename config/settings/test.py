"""Settings for the test suite. DATABASE_URL selects SQLite (default) or PostgreSQL."""

from .base import *  # noqa: F403

DEBUG = False
# Fast hashing in tests; the SM3 hasher itself is tested explicitly.
PASSWORD_HASHERS = [
    "afterschool.accounts.hashers.FastPBKDF2SM3PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
