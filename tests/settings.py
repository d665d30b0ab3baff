"""Settings for the test suite: the project's own settings with test-friendly environment defaults.

Only defaults are set here, so DATABASE_URL / REDIS_URL from the environment (as .ci/run sets them) still
switch the suite to PostgreSQL and Redis. Worker processes that tests start use this module too.
"""

import os
from pathlib import Path

_base = Path(__file__).resolve().parent.parent
os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("FOIA_VAR_DIR", str(_base / "var" / "test"))
os.environ.setdefault("TIME_ZONE", "America/New_York")

from foia.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
