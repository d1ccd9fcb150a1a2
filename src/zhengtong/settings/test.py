"""Test settings: the same stack as production, faster password hashing."""

import os
import tempfile

os.environ.setdefault("ZHENGTONG_HOME", tempfile.mkdtemp(prefix="zhengtong-test-"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from .base import *  # noqa: E402,F403

# Hashing cost is not what tests check; the hashing code path is the same.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
AXES_FAILURE_LIMIT = 5
