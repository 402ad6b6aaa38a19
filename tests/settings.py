"""Test settings: the product's settings with a throw-away data directory and fast hashing.

The database is SQLite unless DATABASE_URL is set (CI runs the suite once on each)."""

import os
import tempfile

os.environ.setdefault("SOPCRM_DATA_DIR", tempfile.mkdtemp(prefix="sopcrm-test-"))
os.environ.setdefault("SOPCRM_SECRET_KEY", "test-only-" + "x" * 50)

from sopcrm.config.settings import *  # noqa: F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, like the product's database: concurrent writers then wait on busy_timeout as they
    # do in production instead of failing at once as in Django's shared in-memory database.
    # pytest-xdist workers get their own file (the name takes the worker's suffix).
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["SOPCRM_DATA_DIR"], "test.sqlite3")
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "en"
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
