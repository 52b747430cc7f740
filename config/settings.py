"""The one settings module. Every difference between development, test and production comes
from environment variables (names in README and .env.example); the defaults are a safe,
self-contained demo: SQLite, tasks run in-process, mail written to files under var/."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_count(name: str, default: int, *, minimum: int) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}.")
    return number


DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Only for the embedded demo (DJANGO_DEBUG=1); production sets DJANGO_SECRET_KEY.
    SECRET_KEY = "django-insecure-demo-key-not-for-production-0123456789abcdef"

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_DOMAIN = urlsplit(SITE_URL).hostname or "localhost"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", f"127.0.0.1,localhost,testserver,{SITE_DOMAIN}")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "csp",
    # Failed admin sign-ins and lockouts (settings AXES_*, config/admin_sign_in.py).
    "axes",
    # Our apps, from the bottom up: an app may import only apps listed before it here, and
    # registration and portal not each other (import-linter contracts in pyproject.toml).
    "workshop",
    "mailing",
    "zoom",
    "registration",
    "portal",
    "search",
]

MIDDLEWARE = [
    # First: the container's own health check, exempt from the host check and the https
    # redirect for loopback clients only (why: config/health.py).
    "config.health.LoopbackHealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie, else the browser's Accept-Language (no URL prefix,
    # as pretix and pretalx do: every address ever sent out keeps working).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Concurrent requests against one SQLite file: wait for the lock instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    # A file (so a test's Celery worker process can share it), one per test run (so two runs
    # in one checkout do not destroy each other's database).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English is the source language; German is complete (locale/de). Each language is named in
# itself, as the switcher and the language fields show it.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Long dates in each language's own order ("Donnerstag, 1. Juli 2021"): config/formats/.
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_MANIFEST_STATIC", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Tests and the demo run without collectstatic; whitenoise then serves from the finders.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
# Uploaded papers: never under a public URL, served by a view that checks who asks.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("DJANGO_PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
PAPER_MAX_BYTES = int(os.environ.get("PAPER_MAX_BYTES", str(20 * 1024 * 1024)))
# Programme files (import_programme): larger ones are refused unread.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(2 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Speaker portal: passwordless sign-in by emailed link (django-sesame). A link works until it
# is used to sign in (ONE_TIME) or expires; GET only shows a button, POST signs in.
AUTHENTICATION_BACKENDS = [
    # First: refuses a password sign-in while its account or address is locked out (axes).
    "config.admin_sign_in.AdminSignInBackend",
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
SESAME_ONE_TIME = True
SESAME_TOKEN_NAME = "sesame"
SESAME_MAX_AGE = 7 * 24 * 3600
PORTAL_INVITATION_MAX_AGE = int(os.environ.get("PORTAL_INVITATION_MAX_AGE", str(7 * 24 * 3600)))
PORTAL_SIGNIN_MAX_AGE = int(os.environ.get("PORTAL_SIGNIN_MAX_AGE", str(15 * 60)))
LOGIN_URL = "portal:sign_in"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: EMAIL_HOST switches to SMTP; otherwise messages are written to files the demo user
# can open (var/mail/), besides the ledger rows in admin.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Academic Events <events@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: without a broker, tasks run in-process when the transaction commits.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged task after this; no retry countdown may exceed it.
CELERY_BROKER_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_BROKER_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # Workers look for tasks abandoned by a dead worker this often (kombu's default scans
    # only every 10 × 10 s, long past a short visibility timeout).
    "unacked_restore_interval": max(1, min(10, CELERY_BROKER_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
    # Publishing gives up within about a second when the broker is down, instead of retrying
    # for over 6 s (kombu's default) inside the web request that committed: the ledger row
    # stays queued and the sweeper hands it over later. Workers reconnect on their own terms
    # (CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP, broker_connection_max_retries).
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 2,
}
CELERY_TIMEZONE = "UTC"

# Production hardening follows the public address: served over https, the site insists on it.
SERVED_OVER_HTTPS = SITE_URL.startswith("https://")
if not DEBUG and SERVED_OVER_HTTPS:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
# Behind a TLS-terminating proxy (nginx, a load balancer), trust its X-Forwarded-Proto.
if env_bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# No inline script or style on our pages; the admin (Django's own templates) is left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# DJANGO_LOG_FORMAT=json gives one JSON object per line (with the extra fields of mail events:
# email_id, email_kind, state, attempts) for log collectors; plain text otherwise.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "filters": {"axes_requestless": {"()": "config.log_filters.RequestlessAxesFilter"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes.handlers.proxy": {"filters": ["axes_requestless"]},
    },
}

# Hourly and daily jobs run at fixed times of the clock (UTC), not "every N seconds": beat
# runs an interval entry only a full interval after it started with a fresh schedule, so a
# beat restarted more often than that never ran it. A crontab entry runs whenever beat is up
# at its time; one whose time passed while beat was down runs once when beat starts again
# with its schedule file (kept on a volume in docker-compose.yml). Every job catches up on
# everything due, so a late or missed run loses nothing. (tests/config/test_beat_schedule.py)
CELERY_BEAT_SCHEDULE = {
    "sweep-email-ledger": {"task": "mailing.sweep_email_ledger", "schedule": 60.0},
    # Zoom calls whose task got lost (zoom/upkeep.py); finds nothing without Zoom settings.
    "sweep-zoom": {"task": "zoom.sweep", "schedule": 60.0},
    "expire-unconfirmed-registrations": {
        "task": "registration.expire_unconfirmed",
        "schedule": crontab(minute=7),
    },
    "purge-sent-email-bodies": {
        "task": "mailing.purge_sent_bodies",
        "schedule": crontab(hour=3, minute=17),
    },
    # Reminders are due at minutes of their own (each event's offsets): looked for every minute.
    "queue-participant-reminders": {
        "task": "registration.queue_due_reminders",
        "schedule": crontab(),
    },
    "queue-programme-people-reminders": {
        "task": "portal.queue_due_reminders",
        "schedule": crontab(),
    },
    "erase-past-registrations": {
        "task": "registration.erase_past_registrations",
        "schedule": crontab(hour=3, minute=37),
    },
}

# Mail ledger timings (seconds). The lease must outlast one SMTP conversation; retries back
# off exponentially up to EMAIL_RETRY_MAX_SECONDS, always below the broker's visibility timeout.
EMAIL_CLAIM_LEASE_SECONDS = int(os.environ.get("EMAIL_CLAIM_LEASE_SECONDS", "300"))
EMAIL_RETRY_BASE_SECONDS = int(os.environ.get("EMAIL_RETRY_BASE_SECONDS", "30"))
EMAIL_RETRY_MAX_SECONDS = int(os.environ.get("EMAIL_RETRY_MAX_SECONDS", "1800"))
EMAIL_MAX_TASK_RETRIES = int(os.environ.get("EMAIL_MAX_TASK_RETRIES", "10"))
EMAIL_SWEEP_GRACE_SECONDS = int(os.environ.get("EMAIL_SWEEP_GRACE_SECONDS", "120"))
EMAIL_SWEEP_BATCH = 1000
# Sent bodies (which hold personal links) are purged after this many days.
EMAIL_BODY_RETENTION_DAYS = int(os.environ.get("EMAIL_BODY_RETENTION_DAYS", "90"))

# Zoom: a Server-to-Server OAuth app of the organizers' Zoom account (README "Zoom"). Unset,
# participants get the programme's fixed meeting link, as before. The secret never leaves this
# module: Django's error reports hide settings named *SECRET*, and zoom.client redacts it.
ZOOM_ACCOUNT_ID = os.environ.get("ZOOM_ACCOUNT_ID", "")
ZOOM_CLIENT_ID = os.environ.get("ZOOM_CLIENT_ID", "")
ZOOM_CLIENT_SECRET = os.environ.get("ZOOM_CLIENT_SECRET", "")
ZOOM_API_URL = os.environ.get("ZOOM_API_URL", "https://api.zoom.us/v2").rstrip("/")
ZOOM_OAUTH_URL = os.environ.get("ZOOM_OAUTH_URL", "https://zoom.us/oauth/token")
ZOOM_TIMEOUT_SECONDS = float(os.environ.get("ZOOM_TIMEOUT_SECONDS", "10"))
# How long a worker holds a Zoom row it is calling about; after that (worker killed) the
# sweeper hands the row to another, which looks up what the dead one may have done first.
ZOOM_CLAIM_LEASE_SECONDS = int(os.environ.get("ZOOM_CLAIM_LEASE_SECONDS", "120"))
# Backoff of Zoom calls that failed for a passing reason (5xx, timeout, network); a 429 waits
# what Zoom's Retry-After says instead.
ZOOM_RETRY_BASE_SECONDS = int(os.environ.get("ZOOM_RETRY_BASE_SECONDS", "15"))
ZOOM_RETRY_MAX_SECONDS = int(os.environ.get("ZOOM_RETRY_MAX_SECONDS", "900"))
# Registrant calls per second and worker process: below Zoom's per-second limits for the
# "light"/"medium" APIs, so a bulk approval rarely meets a 429 at all.
ZOOM_CALLS_PER_SECOND = int(os.environ.get("ZOOM_CALLS_PER_SECOND", "8"))

# Registration
PRIVACY_NOTICE_VERSION = "2026-11-29.2"  # raised when the notice says something new
REGISTRATION_CONFIRMATION_HOURS = 48
# Registrations of an event are erased (anonymised, with their emails) this many days after
# the event's last session ended. The privacy notice states it.
REGISTRATION_RETENTION_DAYS = int(os.environ.get("REGISTRATION_RETENTION_DAYS", "180"))
REGISTRATION_REMINDER_INTERVAL_MINUTES = 10
# Programme changes within this many seconds of the first are announced to participants in one
# email; a reminder whose moment passed longer ago than this (the system was down) is not sent
# late, and the ledger says so.
NOTICE_SETTLE_SECONDS = env_count("NOTICE_SETTLE_SECONDS", 600, minimum=0)
REGISTRATION_RATE_PER_IP = os.environ.get("REGISTRATION_RATE_PER_IP", "20/h")
REGISTRATION_RATE_PER_EMAIL = os.environ.get("REGISTRATION_RATE_PER_EMAIL", "5/h")
PORTAL_SIGNIN_RATE_PER_IP = os.environ.get("PORTAL_SIGNIN_RATE_PER_IP", "20/h")
PORTAL_SIGNIN_RATE_PER_EMAIL = os.environ.get("PORTAL_SIGNIN_RATE_PER_EMAIL", "5/h")

# Rate limits need a cache every web process shares: Redis in production (CACHE_URL); the
# embedded default is one runserver process, where a local-memory cache is shared enough.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
RATELIMIT_VIEW = "workshop.ratelimit.rate_limited"
# Whether that cache is shared is checked by `check --deploy` (workshop.E001, in
# workshop/checks.py), which fails with debug off and no CACHE_URL. django-ratelimit's own
# cache checks (django_ratelimit.E003/W001) never run: it is not an installed app (it needs
# none), and ours says which setting to change, skips the single-process debug demo, and knows
# that Django's own RedisCache is shared and atomic (W001 would flag it only because it knows
# django_redis by name). So nothing is silenced.

# The client's address (rate limits, admin sign-in lockout): behind reverse proxies that
# append to X-Forwarded-For (nginx, a load balancer), set how many there are; the client is
# the hop the outermost of them wrote (workshop/client_address.py). 0: REMOTE_ADDR is the
# client and X-Forwarded-For is ignored.
# RATELIMIT_IP_META_KEY, the former setting, is still read when TRUSTED_PROXY_COUNT is not set:
# HTTP_X_FORWARDED_FOR means one proxy (nginx's default), REMOTE_ADDR or empty means none.
_former_ip_key = os.environ.get("RATELIMIT_IP_META_KEY", "").strip().upper()
if os.environ.get("TRUSTED_PROXY_COUNT", "").strip() or _former_ip_key in {"", "REMOTE_ADDR"}:
    TRUSTED_PROXY_COUNT = env_count("TRUSTED_PROXY_COUNT", 0, minimum=0)
elif _former_ip_key == "HTTP_X_FORWARDED_FOR":
    TRUSTED_PROXY_COUNT = 1
else:
    raise ImproperlyConfigured(
        f"RATELIMIT_IP_META_KEY={_former_ip_key} is no longer supported: set "
        "TRUSTED_PROXY_COUNT to the number of reverse proxies that append to X-Forwarded-For."
    )
CLIENT_ADDRESS_FUNCTION = "workshop.client_address.client_address"
RATELIMIT_IP_META_KEY = CLIENT_ADDRESS_FUNCTION

# Admin sign-in (passwords): after ADMIN_LOGIN_FAILURE_LIMIT failures for one username, or from
# one client address, within ADMIN_LOGIN_COOLOFF_MINUTES, sign-in is refused (429, our page)
# until that long after the last counted failure (django-axes; attempts in the database, so
# every web worker sees them). Portal links (django-sesame) do not count (config/admin_sign_in.py).
ADMIN_LOGIN_FAILURE_LIMIT = env_count("ADMIN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
ADMIN_LOGIN_COOLOFF_MINUTES = env_count("ADMIN_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = ADMIN_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=ADMIN_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = CLIENT_ADDRESS_FUNCTION
AXES_HANDLER = "config.admin_sign_in.AdminSignInHandler"
AXES_LOCKOUT_CALLABLE = "config.admin_sign_in.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ONLY_ADMIN_SITE = True
# Tries during a lockout neither count nor extend it: whoever keeps guessing cannot keep the
# organizer out past the window.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful sign-in clears that account's and that address's failures.
AXES_RESET_ON_SUCCESS = True
# Keep failures only (they expire with the cool-off), not a log of every sign-in.
AXES_DISABLE_ACCESS_LOG = True
# No banner at every start; failure log lines name the lockout fields only, masked.
AXES_VERBOSE = False
