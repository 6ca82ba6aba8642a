"""Django settings for mikromon.

Everything site-specific comes from the environment; no secret lives in the
repository:

- ``MIKROMON_DATA_DIR``: folder for the SQLite database and the key files
  (default ``./data``).
- ``MIKROMON_DATABASE_URL``: ``postgresql://user:password@host:port/dbname`` or
  ``sqlite:///path``; default: ``<data dir>/mikromon.sqlite3`` in WAL mode.
- ``MIKROMON_SECRET_KEY``: Django's secret key; default: ``<data dir>/secret_key``,
  created on first run with mode 0600.
- ``MIKROMON_FERNET_KEY``: the key that encrypts router passwords; several keys
  separated by commas allow rotation (the first encrypts, all decrypt). Default:
  ``<data dir>/fernet.key``, created on first run with mode 0600. Losing it makes
  the stored router passwords unreadable.
- ``MIKROMON_DEBUG`` (default off), ``MIKROMON_ALLOWED_HOSTS`` (comma separated,
  default ``localhost,127.0.0.1,[::1]``), ``MIKROMON_CSRF_TRUSTED_ORIGINS``,
  ``MIKROMON_SECURE_COOKIES`` (set when served over HTTPS),
  ``MIKROMON_SESSION_HOURS`` (default 8), ``MIKROMON_CONN_MAX_AGE`` (seconds).
- ``MIKROMON_RETENTION_RAW_DAYS`` (7), ``MIKROMON_RETENTION_5M_DAYS`` (90),
  ``MIKROMON_RETENTION_1H_DAYS`` (730): how long points and rollups are kept;
  ``MIKROMON_RETENTION_GONE_DAYS`` (30), ``MIKROMON_RETENTION_LOG_DAYS`` (90),
  ``MIKROMON_RETENTION_EVENT_DAYS`` (365): vanished inventory rows, log lines, events;
  ``MIKROMON_RETENTION_ALERT_DAYS`` (365): resolved alerts and their history.
- ``MIKROMON_BASE_URL``: the address people reach this mikromon at
  (``https://mon.example.net``); notifications link to device pages under it.
  Empty (default): messages carry no links.
- ``MIKROMON_WRITER``: ``thread`` (default) runs the collector's database writes
  in the collector's writer thread, in this process; ``process`` runs them in a
  child process (another core: for several hundred routers on a machine with a
  core to spare).
- ``MIKROMON_SYSLOG_PORT`` (default off), ``MIKROMON_SYSLOG_BIND`` (default
  ``127.0.0.1``), ``MIKROMON_SYSLOG_RATE`` (messages/s per router, 200),
  ``MIKROMON_SYSLOG_MAX_CONNECTIONS`` (64): the syslog receiver routers send
  their logs to (docs/alerting.md "Router logs in real time").
"""

from __future__ import annotations

import os

from mikromon.syslog.config import SyslogSettings
from mikromon.web.monitor.envconfig import (
    data_dir_from_env,
    env_bool,
    env_float,
    env_int,
    env_list,
    load_or_create_key,
    new_fernet_key,
    new_secret_key,
    parse_database_url,
    sqlite_database,
)

DATA_DIR = data_dir_from_env()

SECRET_KEY = os.environ.get("MIKROMON_SECRET_KEY") or load_or_create_key(
    DATA_DIR / "secret_key", new_secret_key
)
#: Fernet keys for router passwords: the first encrypts, every one decrypts.
MIKROMON_FERNET_KEYS = [
    key.strip()
    for key in (
        os.environ.get("MIKROMON_FERNET_KEY")
        or load_or_create_key(DATA_DIR / "fernet.key", new_fernet_key)
    ).split(",")
    if key.strip()
]

DEBUG = env_bool("MIKROMON_DEBUG")
ALLOWED_HOSTS = env_list("MIKROMON_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("MIKROMON_CSRF_TRUSTED_ORIGINS", [])

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

_database_url = os.environ.get("MIKROMON_DATABASE_URL", "").strip()
DATABASES = {
    "default": parse_database_url(_database_url, DATA_DIR)
    if _database_url
    else sqlite_database(DATA_DIR / "mikromon.sqlite3"),
}
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("MIKROMON_CONN_MAX_AGE", "0"))
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

SESSION_COOKIE_AGE = int(float(os.environ.get("MIKROMON_SESSION_HOURS", "8")) * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("MIKROMON_SECURE_COOKIES")
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
_LIMIT_WINDOW_S = env_float("MIKROMON_SIGNIN_WINDOW_MINUTES", 15.0) * 60
#: name -> (failures, window seconds); mikromon.web.ratelimit.
MIKROMON_RATE_LIMITS = {
    "signin_per_user": (env_int("MIKROMON_SIGNIN_FAILURES_PER_USER", 5), _LIMIT_WINDOW_S),
    "signin_per_address": (env_int("MIKROMON_SIGNIN_FAILURES_PER_ADDRESS", 20),
                           _LIMIT_WINDOW_S),
    "token_per_address": (env_int("MIKROMON_TOKEN_FAILURES_PER_ADDRESS", 20),
                          _LIMIT_WINDOW_S),
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("MIKROMON_STATIC_ROOT") or str(DATA_DIR / "staticfiles")
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Browser libraries from node_modules (package.json): mikromon.web.ui.assets.
    "mikromon.web.ui.assets.NodeModulesFinder",
]

#: Retention, days: raw points, 5-minute and 1-hour rollups, inventory rows gone
#: from the router, router log lines, events, resolved alerts (with their history).
MIKROMON_RETENTION_DAYS = {
    "raw": float(os.environ.get("MIKROMON_RETENTION_RAW_DAYS", "7")),
    "5m": float(os.environ.get("MIKROMON_RETENTION_5M_DAYS", "90")),
    "1h": float(os.environ.get("MIKROMON_RETENTION_1H_DAYS", "730")),
    "inventory_gone": float(os.environ.get("MIKROMON_RETENTION_GONE_DAYS", "30")),
    "logs": float(os.environ.get("MIKROMON_RETENTION_LOG_DAYS", "90")),
    "events": float(os.environ.get("MIKROMON_RETENTION_EVENT_DAYS", "365")),
    "alerts": float(os.environ.get("MIKROMON_RETENTION_ALERT_DAYS", "365")),
}

#: Where the collector's storage runs: "thread" (the writer thread) or "process"
#: (a child process).
MIKROMON_WRITER = os.environ.get("MIKROMON_WRITER", "").strip().lower() or "thread"

#: The syslog receiver (``None``: off, the default); see mikromon.syslog.config.
MIKROMON_SYSLOG = SyslogSettings.from_env()

#: External address of the web UI, for links in notifications ("" = no links).
MIKROMON_BASE_URL = os.environ.get("MIKROMON_BASE_URL", "").strip()

# Logging is configured by the host (the mikromon command sets up the root logger).
