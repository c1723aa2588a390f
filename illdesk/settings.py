"""illdesk settings: one file, driven by environment variables.

Defaults run on a fresh clone (SQLite, Celery tasks in-process, console mail); DATABASE_URL,
REDIS_URL, EMAIL_URL and ILLDESK_ISO_SYMBOL switch to the real parts.
"""

import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import email_settings, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
ILLDESK_PRODUCTION = env_bool("ILLDESK_PRODUCTION", False)
if ILLDESK_PRODUCTION and DEBUG:
    # Debug pages show settings and code to anyone who triggers an error; and it would allow the dev key.
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production (ILLDESK_PRODUCTION=1)")
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if ILLDESK_PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-development-key-change-me-in-production-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_fsm",
    "django_celery_beat",
    "illdesk",
    "partners",
    "borrowing",
    "lending",
    "letters",
    "opac",
    "integrations",
    "reports",
    "tools",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "illdesk.urls"
WSGI_APPLICATION = "illdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "illdesk.context_processors.roles",
            ],
        },
    },
]

_default_db = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    # Connections live on between requests; the health check replaces one the server dropped (a
    # database restart or failover) before the request uses it, instead of answering 500.
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db), conn_max_age=60,
                                                  conn_health_checks=True)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    # The task lists' covering indexes INCLUDE columns for PostgreSQL's index-only scans; SQLite
    # builds the same indexes without them, which is all it needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DATABASES["default"]["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 5}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fi", "Suomi")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("ILLDESK_TIME_ZONE", "Europe/Helsinki")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("ILLDESK_MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("ILLDESK_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Mail
vars().update(email_settings(env_str("EMAIL_URL", "")))
DEFAULT_FROM_EMAIL = env_str("ILLDESK_FROM_EMAIL", "illdesk@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: with no REDIS_URL tasks run in-process so `make run` needs no broker.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    # Shared cache so status aliases and statistics stay correct across worker processes.
    # Tolerant of Redis being down, with timeouts so a hung Redis cannot hang a page (illdesk/cache.py).
    CACHES = {"default": {"BACKEND": "illdesk.cache.TolerantRedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": env_str("ILLDESK_CACHE_PREFIX", "illdesk"),
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Enqueueing happens in the request after commit: with Redis down or hung it must give up within
# seconds (the outbox sweepers send what was not enqueued), not wait forever.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 2, "socket_connect_timeout": 2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Security (production values come from the same variables; `check --deploy` is clean with them set)
SESSION_COOKIE_SECURE = env_bool("ILLDESK_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("ILLDESK_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("ILLDESK_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
ILLDESK_BEHIND_PROXY = env_bool("ILLDESK_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if ILLDESK_BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Login throttling (illdesk/ratelimit.py, on django-ratelimit): failures per username / per address within the
# window, counted before the password is checked; past the limit, refused until the window ends.
ILLDESK_LOGIN_MAX_FAILURES = env_int("ILLDESK_LOGIN_MAX_FAILURES", 5)
ILLDESK_LOGIN_MAX_FAILURES_PER_IP = env_int("ILLDESK_LOGIN_MAX_FAILURES_PER_IP", 30)
ILLDESK_LOGIN_WINDOW_SECONDS = env_int("ILLDESK_LOGIN_WINDOW_SECONDS", 15 * 60)
# django-ratelimit is not in INSTALLED_APPS: all it would add is a system check that rejects LocMemCache,
# which is right for `make run` (one process); REDIS_URL gives every worker process the same counts.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_CACHE_PREFIX = "illdesk:login:"
# The counts are a guard, not a gate: with the Redis cache down, logins work uncounted (illdesk/cache.py).
RATELIMIT_FAIL_OPEN = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_client_errors": {"()": "illdesk.logfilters.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ILLDESK_LOG_LEVEL", "WARNING")},
    "loggers": {"illdesk": {"level": env_str("ILLDESK_LOG_LEVEL", "INFO")},
                # on the logger, so both Django's debug console and ours get the one line
                "django.request": {"filters": ["one_line_client_errors"]}},
}

# illdesk itself
ILLDESK_ISO_SYMBOL = env_str("ILLDESK_ISO_SYMBOL", "ISIL:ZZ-ILLDESK")
if ":" not in ILLDESK_ISO_SYMBOL:
    raise ImproperlyConfigured("ILLDESK_ISO_SYMBOL must be TYPE:VALUE, e.g. ISIL:FI-HY")
# Reverse proxies in front of illdesk (addresses or networks, comma-separated): for a connection from one of
# them, /iso18626 takes the address it appended to X-Forwarded-For as the sender's (partner allow-lists).
ILLDESK_TRUSTED_PROXIES = env_list("ILLDESK_TRUSTED_PROXIES", [])
for _proxy in ILLDESK_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"ILLDESK_TRUSTED_PROXIES: {_proxy!r} is not an address or network") from None
ILLDESK_PAGE_SIZE = env_int("ILLDESK_PAGE_SIZE", 25)
ILLDESK_LOCK_MINUTES = env_int("ILLDESK_LOCK_MINUTES", 15)
ILLDESK_MAX_UPLOAD_MB = env_int("ILLDESK_MAX_UPLOAD_MB", 50)
