"""Settings for sopcrm.

Everything a deployment changes comes from the environment (see docs/configuration.md), so the
same code runs the local demo on SQLite and a production site on PostgreSQL. These defaults suit a
single machine on localhost; `sopcrm.config.production` hardens them for a public deployment.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("SOPCRM_DATA_DIR", Path.cwd() / ".sopcrm")).resolve()


def _secret_key() -> str:
    """The key from the environment, else one generated once and kept in the data directory.

    Keeping it in the data directory (never in the repository) lets the local demo keep its
    sessions across restarts without anyone having to invent a secret.
    """
    from_env = os.environ.get("SOPCRM_SECRET_KEY")
    if from_env:
        return from_env
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("SOPCRM_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SOPCRM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("SOPCRM_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",  # failed sign-ins and lockouts (see "Security" below)
    "django_htmx",
    "ninja",  # serves the API docs page's Swagger UI from local static files, not a CDN
    "django_tasks_db",
    "sopcrm.core",
    "sopcrm.process",
    "sopcrm.crm.records",
    "sopcrm.crm.messaging",
    "sopcrm.crm.mail",
    "sopcrm.crm.webhooks",
    "sopcrm.crm.imports",
    "sopcrm.crm.notifications",
    "sopcrm.web",
    "sopcrm.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sopcrm.web.middleware.UserLanguageMiddleware",
    # Last, as django-axes asks: it turns a lockout raised while signing in into the response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sopcrm.config.urls"
WSGI_APPLICATION = "sopcrm.config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",  # {{ csp_nonce }} for inline scripts
                "sopcrm.web.context_processors.notifications",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "sopcrm.sqlite3")}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE transactions take the write lock up front, so two writers queue on
        # busy_timeout instead of one failing with "database is locked" mid-transaction; WAL
        # lets readers (the web UI) run while the worker writes.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            ),
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes' backend first: it refuses a locked-out username+address before the password is
# even checked, and counts the failures the model backend reports.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("SOPCRM_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("SOPCRM_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from the app folders (below) but warns when this folder is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders: `sopcrm serve` works without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Background tasks (django.tasks): the database queue (django-tasks-db) unless
# SOPCRM_TASKS_BACKEND=rq, which queues them in Redis (django-tasks-rq, SOPCRM_REDIS_URL) for
# sites with many workers. Either way `sopcrm worker` runs them, and the timers, digests, outbox
# and webhooks stay in the database (docs/deploy.md). Declare no task `priority=`: the RQ backend
# does not support priorities and would refuse the task.
SOPCRM_TASKS_BACKEND = os.environ.get("SOPCRM_TASKS_BACKEND", "database").strip().lower()
if SOPCRM_TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {
        "default": {
            "URL": os.environ.get("SOPCRM_REDIS_URL", "redis://127.0.0.1:6379/0"),
            # An import of a large file runs for minutes; RQ's default limit is 3 minutes.
            "DEFAULT_TIMEOUT": int(os.environ.get("SOPCRM_TASK_TIMEOUT", "3600")),
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif SOPCRM_TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"SOPCRM_TASKS_BACKEND must be 'database' or 'rq', not {SOPCRM_TASKS_BACKEND!r}."
    )


def _mailer(default_backend: str) -> dict[str, Any]:
    """The default mailer from the environment: SOPCRM_EMAIL_BACKEND (a Django mail backend path,
    e.g. an anymail one), and for SMTP the SOPCRM_SMTP_* variables."""
    backend = os.environ.get("SOPCRM_EMAIL_BACKEND", default_backend)
    options: dict[str, Any] = {}
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        options = {
            "host": os.environ.get("SOPCRM_SMTP_HOST", "localhost"),
            "port": int(os.environ.get("SOPCRM_SMTP_PORT", "25")),
            "username": os.environ.get("SOPCRM_SMTP_USER", ""),
            "password": os.environ.get("SOPCRM_SMTP_PASSWORD", ""),
            "use_tls": _env_bool("SOPCRM_SMTP_TLS", False),
            "use_ssl": _env_bool("SOPCRM_SMTP_SSL", False),
            "timeout": 30,
        }
    return {"BACKEND": backend, "OPTIONS": options}


# Locally, mail is printed to the console unless SOPCRM_EMAIL_BACKEND says otherwise.
MAILERS = {"default": _mailer("django.core.mail.backends.console.EmailBackend")}
DEFAULT_FROM_EMAIL = os.environ.get("SOPCRM_FROM_EMAIL", "sopcrm@localhost")
# Hosted providers through django-anymail: SOPCRM_ANYMAIL_MAILGUN_API_KEY=... becomes
# ANYMAIL["MAILGUN_API_KEY"]. The other mail settings (SOPCRM_MAILER, SOPCRM_REPLY_ADDRESS,
# SOPCRM_INBOUND_SECRET, SOPCRM_IMAP_*) are read from the environment by crm/mail/config.py.
ANYMAIL = {
    key.removeprefix("SOPCRM_ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("SOPCRM_ANYMAIL_")
}

# -- Security (docs/configuration.md, "Security") ------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy on every page. Every script is a file served by the site itself (htmx is
# configured by a <meta> tag, charts read their data from JSON blocks), so scripts need neither
# 'unsafe-inline' nor 'unsafe-eval'; a nonce is offered for the rare inline script a template may
# need (`<script nonce="{{ csp_nonce }}">`). Styles keep 'unsafe-inline': ECharts' tooltips and
# Mermaid's diagrams write style attributes and <style> elements, and styles cannot run code.
# The public intake form replaces frame-ancestors with the sites allowed to embed it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Sign-in rate limiting (django-axes): after SOPCRM_LOGIN_FAILURE_LIMIT failed attempts for one
# username from one address, that pair is refused for SOPCRM_LOGIN_LOCKOUT_MINUTES; a successful
# sign-in clears the count. Username and address together: a stranger guessing passwords cannot
# lock a colleague out from elsewhere, and one office address shared by many stays usable.
AXES_ENABLED = _env_bool("SOPCRM_LOGIN_RATE_LIMIT", True)
AXES_FAILURE_LIMIT = int(os.environ.get("SOPCRM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SOPCRM_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "sopcrm.web.views.login.locked_out"
# The client's address by the same rule as the intake form's throttle: REMOTE_ADDR, or behind a
# proxy listed in SOPCRM_TRUSTED_PROXIES the X-Forwarded-For entry that proxy added.
AXES_CLIENT_IP_CALLABLE = "sopcrm.web.views.login.client_address"
AXES_VERBOSE = False

# The playbook a fresh database starts with (a file path or the name of a bundled playbook).
SOPCRM_DEFAULT_PLAYBOOK = os.environ.get("SOPCRM_PLAYBOOK", "export_trade")
# The address users reach the site at, for the links in emails the worker sends (it has no
# request to take the host from): notifications and digests link to records with it.
SOPCRM_BASE_URL = os.environ.get("SOPCRM_BASE_URL", "http://localhost:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SOPCRM_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        # Every sign-in is logged at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}
