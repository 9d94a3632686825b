"""partyaffairs settings — read from the environment only.

Nothing set → the embedded default: SQLite file, Celery tasks run inline, local-memory cache,
DEBUG on. A malformed value stops start-up with ImproperlyConfigured naming the variable.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _env(name, cast, default):
    """Read one variable; a value that does not parse names the variable in the error."""
    try:
        return cast(name, default=default)
    except (ValueError, TypeError, environ.ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} is malformed: {exc}") from exc


def _env_bool(name, default):
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"Environment variable {name} must be true or false, got {raw!r}")


DEBUG = _env_bool("DEBUG", True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Environment variable SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-partyaffairs-do-not-use-in-production-0123456789"

# Protected personal data (身份证号, phone): Fernet keys, newest first (older ones still decrypt,
# for rotation), and the HMAC key behind the lookup hashes. Derived from SECRET_KEY only in DEBUG.
FIELD_ENCRYPTION_KEYS = _env("FIELD_ENCRYPTION_KEYS", env.list, [])
FIELD_HASH_KEY = _env("FIELD_HASH_KEY", env.str, "")
if not FIELD_ENCRYPTION_KEYS or not FIELD_HASH_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Environment variables FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set when DEBUG is off "
            "(generate a key with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        )
    import base64 as _b64
    import hashlib as _hashlib

    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [
        _b64.urlsafe_b64encode(_hashlib.sha256(f"fields:{SECRET_KEY}".encode()).digest()).decode()
    ]
    FIELD_HASH_KEY = FIELD_HASH_KEY or _hashlib.sha256(f"hash:{SECRET_KEY}".encode()).hexdigest()
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        from cryptography.fernet import Fernet as _Fernet

        _Fernet(_key.encode())
    except ValueError as _exc:
        raise ImproperlyConfigured(
            "Environment variable FIELD_ENCRYPTION_KEYS is malformed: each key must be 32 url-safe base64 bytes"
        ) from _exc

ALLOWED_HOSTS = _env(
    "ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = _env("CSRF_TRUSTED_ORIGINS", env.list, [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "treebeard",
    "axes",
    "accounts",
    "audit",
    "branches",
    "members",
    "meetings",
    "dues",
    "rectifications",
    "compliance",
    "notifications",
    "dashboards",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accounts.middleware.IdleSessionMiddleware",
    "accounts.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "partyaffairs.urls"
WSGI_APPLICATION = "partyaffairs.wsgi.application"

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
                "django.template.context_processors.i18n",
                "branches.context_processors.navigation",
                "accounts.context_processors.login_limits",
            ],
        },
    },
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"


def _database(default):
    """DATABASE_URL parsed; an unknown scheme or a missing database name stops start-up here rather
    than at the first query (the URL itself is not echoed: it may hold a password)."""
    scheme, sep, _rest = env.str("DATABASE_URL", default=default).partition("://")
    if not sep or scheme not in environ.Env.DB_SCHEMES:
        raise ImproperlyConfigured(
            "Environment variable DATABASE_URL is malformed: expected scheme://user:password@host:port/name "
            f"with a known scheme (postgres, sqlite, …), got scheme {scheme if sep else ''!r}"
        )
    config = _env("DATABASE_URL", env.db_url, default)
    if not config.get("NAME"):
        raise ImproperlyConfigured("Environment variable DATABASE_URL is malformed: it names no database")
    return config


DATABASES = {"default": _database(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", _env("CONN_MAX_AGE", env.int, 60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (Index(include=…), e.g. the rectification ledger's) are PostgreSQL's; on SQLite,
# the embedded default, Django builds them without the extra columns — the same index, less covering.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: lock an account+address after 5 failures within 15 minutes.
AXES_FAILURE_LIMIT = _env("AXES_FAILURE_LIMIT", env.int, 5)
AXES_COOLOFF_TIME = _env("AXES_COOLOFF_MINUTES", env.int, 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = _env_bool("AXES_ENABLED", True)

# Idle sessions expire SESSION_IDLE_SECONDS after the last request: accounts.middleware.
# IdleSessionMiddleware pushes the expiry forward, writing the session at most once a minute
# (SESSION_REFRESH_SECONDS) instead of on every request as SESSION_SAVE_EVERY_REQUEST would.
SESSION_COOKIE_AGE = _env("SESSION_IDLE_SECONDS", env.int, 30 * 60)
SESSION_REFRESH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(_env("MEDIA_ROOT", env.str, str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Redis: broker and cache when REDIS_URL is set; otherwise tasks run inline and the cache is local.
REDIS_URL = _env("REDIS_URL", env.str, "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("Environment variable REDIS_URL is malformed: expected redis://host:port/db")
# Every key written to Redis (cache and broker queues) starts with REDIS_KEY_PREFIX, so that several
# installations, or parallel test processes, can share one Redis database without meeting.
REDIS_KEY_PREFIX = _env("REDIS_KEY_PREFIX", env.str, "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic work, declared here in one place (beat copies it into its database schedule).
CELERY_BEAT_SCHEDULE = {
    "dues-generate-month": {
        "task": "dues.tasks.generate_current_month",
        "schedule": crontab(day_of_month="1", hour="0", minute="30"),
    },
    "dues-lock-bases": {
        "task": "dues.tasks.lock_bases_for_year",
        "schedule": crontab(month_of_year="1", day_of_month="31", hour="23", minute="0"),
    },
    "dashboards-refresh-current": {
        "task": "dashboards.tasks.refresh_current",
        "schedule": crontab(hour="1", minute="15"),
    },
    "notifications-run-reminders": {
        "task": "notifications.tasks.run_reminders",
        "schedule": crontab(hour="8", minute="0"),
    },
    "notifications-dispatch": {
        "task": "notifications.tasks.dispatch_deliveries",
        "schedule": crontab(minute="*/15"),
    },
    "compliance-quarterly-reports": {
        "task": "compliance.tasks.generate_quarterly_reports",
        "schedule": crontab(month_of_year="1,4,7,10", day_of_month="1", hour="1", minute="0"),
    },
}

# Notifications: failed external channels are retried after 1, 5, 25 … minutes, then marked failed.
NOTIFICATIONS_MAX_ATTEMPTS = _env("NOTIFICATIONS_MAX_ATTEMPTS", env.int, 4)
NOTIFICATIONS_RETRY_BASE_MINUTES = _env("NOTIFICATIONS_RETRY_BASE_MINUTES", env.int, 1)
NOTIFICATIONS_WEBHOOK_TIMEOUT = _env("NOTIFICATIONS_WEBHOOK_TIMEOUT", env.int, 10)
# A quarterly report whose worker has shown no progress for this long is taken over on redelivery.
COMPLIANCE_REPORT_LEASE_SECONDS = _env("COMPLIANCE_REPORT_LEASE_SECONDS", env.int, 300)
# Redis redelivers a task whose worker died (acks_late) after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _env("CELERY_VISIBILITY_TIMEOUT", env.int, 3600)}
if REDIS_KEY_PREFIX:
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = REDIS_KEY_PREFIX
NOTIFICATIONS_SMS_BACKEND = _env(
    "NOTIFICATIONS_SMS_BACKEND", env.str, "notifications.channels.LoggingSMSBackend"
)

EMAIL_BACKEND = _env(
    "EMAIL_BACKEND",
    env.str,
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = _env("EMAIL_HOST", env.str, "localhost")
EMAIL_PORT = _env("EMAIL_PORT", env.int, 25)
EMAIL_HOST_USER = _env("EMAIL_HOST_USER", env.str, "")
EMAIL_HOST_PASSWORD = _env("EMAIL_HOST_PASSWORD", env.str, "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = _env("DEFAULT_FROM_EMAIL", env.str, "partyaffairs@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # DRF's JSON encoded by orjson (partyaffairs/renderers.py), and the browsable API.
    "DEFAULT_RENDERER_CLASSES": [
        "partyaffairs.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "partyaffairs API",
    "DESCRIPTION": "党务管理 — 组织、党员、三会一课、党费、整改台账",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets whose field names collide across apps get their own enum names.
    "ENUM_NAME_OVERRIDES": {
        "MeetingKindEnum": "meetings.models.MeetingKind",
        "MeetingStatusEnum": "meetings.models.MeetingStatus",
        "AttendanceStatusEnum": "meetings.models.AttendanceStatus",
        "DuesCategoryEnum": "members.models.member.DuesCategory",
        "ReportStatusEnum": "compliance.models.ReportStatus",
    },
}

# Production hardening (DEBUG off). TLS is expected to terminate at a reverse proxy.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = _env("SECURE_HSTS_SECONDS", env.int, 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = _env("LOG_LEVEL", env.str, "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        "Environment variable LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}},
}
