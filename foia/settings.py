"""Settings, all from the environment (see .env.example and the README's Configuration section).

The embedded default needs no server: SQLite in var/, Celery on kombu's filesystem transport, mail written
to var/mail. Setting DATABASE_URL, CELERY_BROKER_URL / REDIS_URL and EMAIL_URL switches to real services.
Helpers raise ImproperlyConfigured on a bad value instead of guessing.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("FOIA_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)


def env_bool(name: str, default: bool) -> bool:
    """A boolean that accepts only clear words, so DEBUG=ture fails instead of meaning False."""
    raw = env.str(name, default="")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true/false, yes/no, on/off or 1/0.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole number no smaller than `minimum`."""
    raw = env.str(name, default="")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or .env (make run writes one for you)."
        )
    SECRET_KEY = "insecure-local-development-key-only-for-debug-and-tests"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "csp",
    "drf_spectacular_sidecar",  # Swagger UI / Redoc served from our static files, no CDN
    "foia",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Content-Security-Policy (django-csp) on every page: scripts, styles, images, fonts and requests from this
# site only; no inline script (page behaviour lives in foia/static/foia/app.js; a view that truly needs one
# takes request.csp_nonce). Inline style attributes stay allowed (progress bar widths, chart colours); they
# cannot run code. File downloads set their own stricter "sandbox" policy, which this one never replaces.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "foia.urls"
WSGI_APPLICATION = "foia.wsgi.application"
AUTH_USER_MODEL = "foia.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
            ],
        },
    }
]

# Database: SQLite in var/ unless DATABASE_URL says otherwise (postgres://user@host:5432/name).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'foia.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that Celery worker processes started by tests see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Letters area: worker processes write concurrently; BEGIN IMMEDIATE makes a transaction wait for
            # the write lock (up to `timeout`) instead of failing with "database is locked" on upgrade.
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Celery closes the database connection around every task unless told to reuse it; reconnecting to
    # PostgreSQL for each of hundreds of small letter tasks costs ~20 ms each. Reused for this many tasks.
    CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 50)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The newsroom's time zone: digests go out at its local time and "today" is its date.
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: downloads go through views that check permissions
STORAGES = {
    "default": {"BACKEND": env.str("FILE_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# Uploads: a hard cap per file (bytes); larger uploads are refused before they are stored.
FOIA_MAX_UPLOAD_BYTES = env_int("FOIA_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Email: a file backend in var/mail by default; EMAIL_URL=smtp://user:pass@host:587 (or smtp+tls://) for real.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="filemail://")
vars().update({key: value for key, value in EMAIL_CONFIG.items() if value not in (None, "")})
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="records@newsroom.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Replies find their request through a plus address: records+<token>@newsroom.example.
FOIA_REPLY_DOMAIN = env.str("FOIA_REPLY_DOMAIN", default="newsroom.example")
FOIA_REPLY_LOCALPART = env.str("FOIA_REPLY_LOCALPART", default="records")
FOIA_INBOUND_SECRET = env.str("FOIA_INBOUND_SECRET", default="")

# Documents and incoming mail (documents area). Zip archives are expanded only within these limits.
# Attachments of mail matched only by a tracking tag from an unknown sender, per request (foia.mail_senders).
FOIA_UNVERIFIED_MAIL_BYTES = env_int("FOIA_UNVERIFIED_MAIL_BYTES", 25 * 1024 * 1024, minimum=0)
FOIA_ZIP_MAX_ENTRIES = env_int("FOIA_ZIP_MAX_ENTRIES", 1000, minimum=1)
FOIA_ZIP_MAX_TOTAL_BYTES = env_int("FOIA_ZIP_MAX_TOTAL_BYTES", 1024 * 1024 * 1024, minimum=1024)
FOIA_ZIP_MAX_RATIO = env_int("FOIA_ZIP_MAX_RATIO", 100, minimum=2)
FOIA_ZIP_MAX_DEPTH = env_int("FOIA_ZIP_MAX_DEPTH", 2, minimum=0)
# Text extraction runs in a child process with these limits (seconds, megabytes of address space).
FOIA_EXTRACT_TIMEOUT = env_int("FOIA_EXTRACT_TIMEOUT", 240, minimum=5)
FOIA_EXTRACT_MEMORY_MB = env_int("FOIA_EXTRACT_MEMORY_MB", 2048, minimum=256)
# OCR (OCRmyPDF + Tesseract, foia/ocr.py) of one document: its own time and memory limits, and languages
# (Tesseract codes joined by +, e.g. eng+spa; each needs its tesseract-ocr-<code> package).
FOIA_OCR_TIMEOUT = env_int("FOIA_OCR_TIMEOUT", 900, minimum=10)
FOIA_OCR_MEMORY_MB = env_int("FOIA_OCR_MEMORY_MB", 3072, minimum=512)
FOIA_OCR_LANGUAGES = env.str("FOIA_OCR_LANGUAGES", default="eng")
# Attachments of unsorted mail are stored on arrival (so search finds them) up to this many bytes in all.
FOIA_UNSORTED_QUOTA_BYTES = env_int("FOIA_UNSORTED_QUOTA_BYTES", 2 * 1024**3, minimum=0)
# IMAP polling is off unless set: imaps://user:password@imap.example.org/INBOX (imap:// without TLS).
FOIA_IMAP_URL = env.str("FOIA_IMAP_URL", default="")

# Deadlines and reminders (deadlines area). Business hours end in TIME_ZONE: later sends count as received the
# next business day. Laws with no fixed number of days get a follow-up target this many business days out.
FOIA_BUSINESS_HOURS_END = env.str("FOIA_BUSINESS_HOURS_END", default="17:00")
FOIA_DEFAULT_FOLLOWUP_DAYS = env_int("FOIA_DEFAULT_FOLLOWUP_DAYS", 10, minimum=1)
# The daily digest goes out from this local hour on; it lists requests due within this many days.
FOIA_DIGEST_HOUR = env_int("FOIA_DIGEST_HOUR", 7)
FOIA_DIGEST_DUE_SOON_DAYS = env_int("FOIA_DIGEST_DUE_SOON_DAYS", 3)
# At most this many follow-ups to agencies are outstanding per scan (every 15 minutes); the rest wait.
FOIA_FOLLOWUPS_PER_SCAN = env_int("FOIA_FOLLOWUPS_PER_SCAN", 50, minimum=1)
# Bulk actions (foia.bulk): sets up to this many requests are applied in the web request; larger ones by a
# worker with a progress bar.
FOIA_BULK_INLINE_MAX = env_int("FOIA_BULK_INLINE_MAX", 50, minimum=0)
# A reminder claimed by a worker but not sent after this many seconds is queued again by the next scan.
FOIA_REMINDER_CLAIM_TIMEOUT = env_int("FOIA_REMINDER_CLAIM_TIMEOUT", 600, minimum=30)
# Mail to agencies refused for now (SMTP 4xx, no connection) is retried after this, doubled each time.
FOIA_SEND_RETRY_SECONDS = env_int("FOIA_SEND_RETRY_SECONDS", 60, minimum=1)

# Celery: the embedded broker (foia/broker.py: kombu's filesystem transport with atomic writes) needs no
# server; CELERY_BROKER_URL or REDIS_URL picks Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default="filesystem://"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    from foia.broker import folders as _broker_folders

    # Celery hands this to kombu.Connection(transport=...), which wins over the URL's scheme.
    CELERY_BROKER_TRANSPORT = "foia.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # queue/, staging/ (messages being written), claimed/, bad/ (undecodable, kept), control/, processed/
        **_broker_folders(VAR_DIR / "broker"),
        "store_processed": False,
        # Letters area: the transport sleeps this long whenever it may not fetch (prefetch limit reached), so
        # the default 1 s capped a worker at ~1 task/s; 10 ms lets hundreds of small PDF tasks flow and
        # costs about 1.5% of a core while idle (measured).
        "polling_interval": 0.01,
    }
else:
    # Tasks stay far shorter than this; a task not acknowledged by then is delivered again.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Every task stops at these limits (seconds) unless it sets its own: the soft one raises inside the task
# (which records the failure on its row), the hard one kills the pool process (the reclaim scan finds the
# row). Heavy tasks set their own: letter PDF 120/150, extraction FOIA_EXTRACT_TIMEOUT + 60/120, send 120/180.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=10)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=15)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT} must be above "
        f"CELERY_TASK_SOFT_TIME_LIMIT={CELERY_TASK_SOFT_TIME_LIMIT}."
    )
# A row left queued or in progress (letter, extraction, import) this long with no live task is queued again by
# the reclaim scan (foia/reclaim.py, every 5 minutes). Above every task's hard limit.
FOIA_RECLAIM_AFTER_SECONDS = env_int("FOIA_RECLAIM_AFTER_SECONDS", 600, minimum=300)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 200, minimum=1)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 300_000, minimum=50_000)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = False

# Failed-login rate limiting (roles/API area, foia/ratelimit.py). The counters need a cache that every process
# shares: Redis when REDIS_URL is set, otherwise files in var/cache (Django's default in-memory cache is per
# process, so four gunicorn workers would allow four times the attempts).
FOIA_LOGIN_MAX_FAILURES = env_int("FOIA_LOGIN_MAX_FAILURES", 5, minimum=1)
FOIA_LOGIN_WINDOW_SECONDS = env_int("FOIA_LOGIN_WINDOW_SECONDS", 15 * 60, minimum=1)
_ratelimit_redis = env.str("REDIS_URL", default="")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _ratelimit_redis,
        "KEY_PREFIX": "foia-ratelimit",
        "TIMEOUT": FOIA_LOGIN_WINDOW_SECONDS,
    }
    if _ratelimit_redis
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "ratelimit"),
        "TIMEOUT": FOIA_LOGIN_WINDOW_SECONDS,
    },
}
# Rate-limited logins; Django admin permissions follow the role (foia/auth.py).
AUTHENTICATION_BACKENDS = ["foia.auth.NewsroomBackend"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FOIA campaigns API",
    "DESCRIPTION": "Campaigns, agencies, records requests, communications, documents and statistics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # API area: docs assets vendored by drf-spectacular-sidecar; the schema needs a signed-in person.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RequestStatusEnum": "foia.models.request.Status",
        "AppealStatusEnum": "foia.appeals.models.AppealStatus",
    },
}

# Production hardening: on unless DEBUG. SECURE_SSL_REDIRECT can be turned off behind a TLS-terminating proxy
# that already redirects.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

STATIC_ROOT.mkdir(parents=True, exist_ok=True)
