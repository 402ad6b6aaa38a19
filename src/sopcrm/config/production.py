"""Settings for a public deployment behind a TLS-terminating reverse proxy.

Use with DJANGO_SETTINGS_MODULE=sopcrm.config.production. The secret key and the database must
come from the environment; `manage.py check --deploy` is clean with these settings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403
from .settings import _env_bool, _mailer

if not os.environ.get("SOPCRM_SECRET_KEY"):
    raise ImproperlyConfigured("SOPCRM_SECRET_KEY must be set in production.")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_bool("SOPCRM_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SOPCRM_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Mail goes out over SMTP (SOPCRM_SMTP_*) unless SOPCRM_EMAIL_BACKEND names another backend.
MAILERS = {"default": _mailer("django.core.mail.backends.smtp.EmailBackend")}
