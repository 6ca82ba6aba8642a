"""Django settings for mikromon.

Everything site-specific comes from the environment, read and checked by
:mod:`mikromon.config` (its ``VARIABLES``; docs/operations.md, "Environment
variables", lists them): a bad value stops start-up with an error naming the
variable. No secret lives in the repository: the secret key and the Fernet key
that encrypts router passwords default to files in the data folder, created on
first run with mode 0600 (losing the Fernet key makes the stored router
passwords unreadable).

The syslog receiver's variables (``MIKROMON_SYSLOG_*``) are read the same way
(:mod:`mikromon.syslog.config`).
"""

from __future__ import annotations

from mikromon import config
from mikromon.syslog.config import SyslogSettings
from mikromon.web.monitor.envconfig import (
    data_dir_from_env,
    load_or_create_key,
    new_fernet_key,
    new_secret_key,
    parse_database_url,
    sqlite_database,
)

DATA_DIR = data_dir_from_env()

SECRET_KEY = config.text("MIKROMON_SECRET_KEY") or load_or_create_key(
    DATA_DIR / "secret_key", new_secret_key
)
#: Fernet keys for router passwords: the first encrypts, every one decrypts.
MIKROMON_FERNET_KEYS = [
    key.strip()
    for key in (
        config.text("MIKROMON_FERNET_KEY")
        or load_or_create_key(DATA_DIR / "fernet.key", new_fernet_key)
    ).split(",")
    if key.strip()
]

DEBUG = config.flag("MIKROMON_DEBUG")
ALLOWED_HOSTS = config.names("MIKROMON_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = config.names("MIKROMON_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mikromon.web.monitor",
    "mikromon.web.control",
    "mikromon.web.ui",
    "mikromon.web.api",
    "mikromon.web.alerts",
    "mikromon.web.notify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy (Django 5.2 has no CSP).
    "mikromon.web.security.SecurityHeadersMiddleware",
    # Static files (our CSS/JS and npm libraries) in production too: mikromon.web.ui.assets.
    "mikromon.web.ui.assets.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Too many failed sign-ins for a user name or from an address: 429.
    "mikromon.web.security.SignInLimitMiddleware",
    # NUL characters in query values, the admin's empty _to_field: 400.
    "mikromon.web.security.ParameterGuardMiddleware",
    # Every view needs a signed-in user unless decorated with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Pages show times in the signed-in user's zone (profile); the API keeps UTC.
    "mikromon.web.ui.timezones.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mikromon.web.urls"
ASGI_APPLICATION = "mikromon.web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = config.text("MIKROMON_DATABASE_URL")
DATABASES = {
    "default": parse_database_url(_database_url, DATA_DIR)
    if _database_url
    else sqlite_database(DATA_DIR / "mikromon.sqlite3"),
}
DATABASES["default"]["CONN_MAX_AGE"] = config.whole("MIKROMON_CONN_MAX_AGE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = int(config.number("MIKROMON_SESSION_HOURS") * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = config.flag("MIKROMON_SECURE_COOKIES")
#: /metrics and /metrics/sd without credentials (mikromon.web.exposition.auth).
MIKROMON_METRICS_ANONYMOUS = config.flag("MIKROMON_METRICS_ANONYMOUS")
MIKROMON_METRICS_DHCP_LEASES = config.flag("MIKROMON_METRICS_DHCP_LEASES")
MIKROMON_METRICS_WIRELESS_CLIENTS = config.flag("MIKROMON_METRICS_WIRELESS_CLIENTS")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
#: Content-Security-Policy of every answer: scripts and styles only from our own
#: static files (no inline script, no inline style attribute), no framing.
MIKROMON_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Browser features no page uses.
MIKROMON_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

#: Failed sign-ins (per user name, per client address) and unknown API tokens (per
#: address) allowed within the window before further attempts get 429.
_LIMIT_WINDOW_S = config.number("MIKROMON_SIGNIN_WINDOW_MINUTES") * 60
#: name -> (failures, window seconds); mikromon.web.ratelimit.
MIKROMON_RATE_LIMITS = {
    "signin_per_user": (config.whole("MIKROMON_SIGNIN_FAILURES_PER_USER"), _LIMIT_WINDOW_S),
    "signin_per_address": (config.whole("MIKROMON_SIGNIN_FAILURES_PER_ADDRESS"),
                           _LIMIT_WINDOW_S),
    "token_per_address": (config.whole("MIKROMON_TOKEN_FAILURES_PER_ADDRESS"),
                          _LIMIT_WINDOW_S),
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = config.text("MIKROMON_STATIC_ROOT") or str(DATA_DIR / "staticfiles")
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Browser libraries from node_modules (package.json): mikromon.web.ui.assets.
    "mikromon.web.ui.assets.NodeModulesFinder",
]

#: Retention, days: raw points, 5-minute, 1-hour and 1-day rollups, inventory rows gone
#: from the router, router log lines, events, resolved alerts (with their history).
MIKROMON_RETENTION_DAYS = {
    key: config.number(f"MIKROMON_RETENTION_{name}_DAYS")
    for key, name in (("raw", "RAW"), ("5m", "5M"), ("1h", "1H"), ("1d", "1D"),
                      ("inventory_gone", "GONE"), ("logs", "LOG"), ("events", "EVENT"),
                      ("alerts", "ALERT"))
}

#: Whether the maintenance compacts old samples into chunks (mikromon.web.monitor.compaction).
MIKROMON_COMPACTION = config.flag("MIKROMON_COMPACTION")

#: Where the collector's storage runs: "auto" (chosen at each collector start),
#: "thread" (the writer thread) or "process" (a child process).
MIKROMON_WRITER = config.choice("MIKROMON_WRITER")

#: The collector's event loop: "auto" (uvloop where installed), "uvloop" or "asyncio"
#: (mikromon.event_loop; checked here so that every command says a bad value first).
MIKROMON_EVENT_LOOP = config.choice("MIKROMON_EVENT_LOOP")

#: The syslog receiver (``None``: off, the default); see mikromon.syslog.config.
MIKROMON_SYSLOG = SyslogSettings.from_env()

#: External address of the web UI, for links in notifications ("" = no links).
MIKROMON_BASE_URL = config.text("MIKROMON_BASE_URL")

# Logging is configured by the host (the mikromon command sets up the root logger).
