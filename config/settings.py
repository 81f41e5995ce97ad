"""Renewal Desk settings: one module, every value read from the environment.

Each value's default is written inline. Production (DEBUG off) refuses to start without
its secrets; behaviour is switched by named flags, never by choosing a settings file.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

_INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORT = env.int("PORT", default=8000)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "csp",
    "core",
    "customers",
    "renewals",
    "documents",
    "notifications",
    "campaigns",
    "analytics",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.HeadAsGetMiddleware",
    "core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.InputRulesMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
                "config.navigation.navigation",
            ],
        },
    },
]

# Database: SQLite file for the one-command demo; PostgreSQL everywhere else.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if IS_POSTGRES:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Safe behind PgBouncer in transaction mode (docs/scaling.md): no cursor outlives a transaction.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    # The demo's web server, worker and beat share one SQLite file: wait for locks, use WAL.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _per_test_worker(url: str) -> str:
    """Under pytest-xdist each test process gets its own Redis database (tests flush the cache and
    count throttles), the way pytest-django gives each its own test database: REDIS_URL's database
    number + 10 + the worker's number, modulo Redis' 16. Unchanged outside a parallel test run."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not url.startswith(("redis://", "rediss://")):
        return url
    parsed = urlsplit(url)
    base = int(parsed.path.strip("/") or 0)
    return urlunsplit(parsed._replace(path=f"/{(base + 10 + int(worker[2:])) % 16}"))


# Redis: cache (and broker unless CELERY_BROKER_URL says otherwise). Empty means embedded.
REDIS_URL = _per_test_worker(env.str("REDIS_URL", default=""))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="rd"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when configured, else kombu's filesystem transport under .run/ (the demo).
RUN_DIR = BASE_DIR / ".run"
CELERY_BROKER_URL = _per_test_worker(env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://"))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(RUN_DIR / "broker"),
        "data_folder_out": str(RUN_DIR / "broker"),
        "processed_folder": str(RUN_DIR / "broker-processed"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = None  # filled below from TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Failed-login throttling (django-axes): lock a username+IP pair after N failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ADMIN = False
# Lockouts key on the same client address as every other rate limit: behind TRUSTED_PROXY_COUNT
# proxies that is the client's, not the proxy's (else five bad passwords lock a manager out for all).
AXES_CLIENT_IP_CALLABLE = "core.net.login_client_ip"

# Internationalisation: English and Simplified Chinese, picked from the browser.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Amounts are grouped in threes with commas in Chinese too (core/formats/zh_Hans/formats.py).
FORMAT_MODULE_PATH = ["core.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
CELERY_TIMEZONE = TIME_ZONE
USE_I18N = True
USE_TZ = True
CURRENCY = env.str("CURRENCY", default="CNY")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
_NODE = BASE_DIR / "node_modules"
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    (prefix, path)
    for prefix, path in [
        ("vendor/htmx", _NODE / "htmx.org" / "dist"),
        ("vendor/chartjs", _NODE / "chart.js" / "dist"),
        ("vendor/bootstrap", _NODE / "bootstrap" / "dist"),
    ]
    if path.exists()
]
# Hashed, compressed static files (needs collectstatic) unless switched off for dev and tests.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
# Without the manifest (dev, tests) files come from the finders and staticfiles/ may not exist.
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Renewal documents (PDF): the CJK font to embed (path[:index in a collection]; empty = the first of
# documents.fonts.FONT_CANDIDATES found, e.g. Debian's fonts-noto-cjk) and where the prepared
# subset of it is cached (made once per machine, about 2 MB).
DOCUMENTS_CJK_FONT = env.str("DOCUMENTS_CJK_FONT", default="")
DOCUMENTS_FONT_CACHE_DIR = env.str("DOCUMENTS_FONT_CACHE_DIR", default=str(BASE_DIR / ".run" / "fonts"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Email: django-environ URL form (smtp://user:pass@host:25, consolemail://, ...).
# Production has no default: printing customers' messages instead of sending them must be a choice.
EMAIL_URL = env.str("EMAIL_URL", default="consolemail://" if DEBUG else "")
if not EMAIL_URL:
    raise ImproperlyConfigured("EMAIL_URL must be set when DEBUG is off (e.g. smtp://host:25).")
vars().update(env.email_url_config(EMAIL_URL))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Renewal Desk <renewals@example.com>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# SMS: "console" prints messages (the demo); "http" posts JSON to SMS_GATEWAY_URL.
SMS_BACKEND = env.str("SMS_BACKEND", default="console" if DEBUG else "")
if SMS_BACKEND not in {"console", "http"}:
    raise ImproperlyConfigured("SMS_BACKEND must be 'console' or 'http' (it has no default when DEBUG is off).")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
if SMS_BACKEND == "http" and not (SMS_GATEWAY_URL and SMS_GATEWAY_TOKEN):
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_GATEWAY_URL and SMS_GATEWAY_TOKEN.")

# Reminders: retries, leases, batches, quiet hours (notifications app; see docs/reminders.md).
SMS_WEBHOOK_SECRET = env.str("SMS_WEBHOOK_SECRET", default="")  # empty: the delivery webhook answers 503
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
REMINDER_RETRY_BASE_SECONDS = env.int("REMINDER_RETRY_BASE_SECONDS", default=60)
REMINDER_LEASE_SECONDS = env.int("REMINDER_LEASE_SECONDS", default=300)
REMINDER_DISPATCH_BATCH = env.int("REMINDER_DISPATCH_BATCH", default=200)
REMINDER_DISPATCH_CONNECTIONS = env.int("REMINDER_DISPATCH_CONNECTIONS", default=4)
REMINDER_DISPATCH_CHUNK = env.int("REMINDER_DISPATCH_CHUNK", default=64)
# The periodic dispatch run claims no new batch after this long (it runs every minute; the tasks'
# time limits are derived from it, see notifications/tasks.py). Not an environment variable.
REMINDER_DISPATCH_BUDGET_SECONDS = 120
# Timeout of one SMS gateway request (one send must stay well inside the lease).
SMS_GATEWAY_TIMEOUT_SECONDS = 10
SMS_QUIET_START_HOUR = env.int("SMS_QUIET_START_HOUR", default=21)
SMS_QUIET_END_HOUR = env.int("SMS_QUIET_END_HOUR", default=8)
# Renewal calls have their own quiet hours (customer's local time), separate from SMS, and a customer
# who refused calls is not called again for this many days (about six months).
CALL_QUIET_START_HOUR = env.int("CALL_QUIET_START_HOUR", default=21)
CALL_QUIET_END_HOUR = env.int("CALL_QUIET_END_HOUR", default=9)
CALL_REFUSAL_DAYS = env.int("CALL_REFUSAL_DAYS", default=182)

# History archive (docs/retention.md): final outbox rows and the events of cases closed more than
# HISTORY_HOT_MONTHS ago move to archive tables (still shown on the case and customer pages);
# archived rows older than HISTORY_RETENTION_MONTHS are deleted (0: kept for ever). Statutory notice
# proofs and the notice messages they point at are never archived or deleted.
HISTORY_HOT_MONTHS = env.int("HISTORY_HOT_MONTHS", default=25)
HISTORY_RETENTION_MONTHS = env.int("HISTORY_RETENTION_MONTHS", default=84)
# Cases per archive transaction (each case's rows move together). Not an environment variable.
HISTORY_ARCHIVE_CHUNK = 2000

# How long signed customer links stay valid.
OFFER_LINK_MAX_AGE_DAYS = env.int("OFFER_LINK_MAX_AGE_DAYS", default=90)
SURVEY_LINK_MAX_AGE_DAYS = env.int("SURVEY_LINK_MAX_AGE_DAYS", default=30)
UNSUBSCRIBE_LINK_MAX_AGE_DAYS = env.int("UNSUBSCRIBE_LINK_MAX_AGE_DAYS", default=365)

# Public base URL used in links sent to customers (signed renewal, survey, unsubscribe).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://127.0.0.1:{PORT}")

DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="renewal-demo-2026")

# Security: secure cookies and HTTPS whenever DEBUG is off.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_HTTPS)
# A load balancer's health check speaks plain HTTP to the app; /healthz answers it there too.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies in front of the app whose X-Forwarded-For entries are trusted (core.net.client_ip,
# used by the public-link rate limits); 0 = use the connection address (REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The rollup cells' unique constraints treat NULL as equal (PostgreSQL); the SQLite demo has none,
# and rebuilds its rollups in full instead of applying cell deltas (analytics/services.py).
SILENCED_SYSTEM_CHECKS = ["models.W047"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

# Content Security Policy (django-csp): everything from our own origin, nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "core.api_base.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON bodies only (the schema documents JSON); the import endpoint declares its multipart upload.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api_base.Cursor",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.api_base.WriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("THROTTLE_AUTH", default="10/min"),
        "writes": env.str("THROTTLE_WRITES", default="120/min"),
        "public_links": env.str("THROTTLE_PUBLIC_LINKS", default="30/min"),
    },
}
# Password reset requests per client address, and per e-mail address (core.ratelimit).
THROTTLE_PASSWORD_RESET = env.str("THROTTLE_PASSWORD_RESET", default="5/h")
SPECTACULAR_SETTINGS = {
    "TITLE": "Renewal Desk API",
    "DESCRIPTION": "Policies, renewal cases, complaints, surveys, messages and KPIs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is for the desk's staff and their scripts (session or token), not for visitors.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated", "core.roles.IsStaffMember"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set that several fields use (campaign targets reuse the customer's).
    "ENUM_NAME_OVERRIDES": {
        "LifecycleStageEnum": "customers.models.Customer.LifecycleStage",
        "SegmentEnum": "customers.models.Customer.Segment",
        "CampaignChannelEnum": "campaigns.models.CampaignStep.Channel",
        "AddOnKindEnum": "renewals.addons.models.AddOn.Kind",
        "AddOnPricingEnum": "renewals.addons.models.AddOn.Pricing",
        # Policy.Channel appears as "channel" (policies) and as "channels" (a playbook rule).
        "SalesChannelEnum": "renewals.models.Policy.Channel",
    },
}

# Logs carry ids, never names, phone numbers or emails.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
