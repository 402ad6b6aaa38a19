"""Test settings: the product's settings with a throw-away data directory and fast hashing.

The database is SQLite unless DATABASE_URL is set (CI runs the suite once on each)."""

import os
import tempfile

os.environ.setdefault("SOPCRM_DATA_DIR", tempfile.mkdtemp(prefix="sopcrm-test-"))
os.environ.setdefault("SOPCRM_SECRET_KEY", "test-only-" + "x" * 50)

from sopcrm.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "en"
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
