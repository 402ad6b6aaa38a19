"""Mail settings: read from Django settings, else from the environment variable of the same name
(so a deployment works before the settings module lists them; see docs/mail.md)."""

import os

from django.conf import settings

# Largest raw message the webhook accepts (bytes); mail with big attachments exceeds Django's
# 2.5 MB request body limit, so the webhook reads the body itself up to this size.
DEFAULT_INBOUND_MAX_BYTES = 25 * 1024 * 1024


def mail_setting(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def mail_flag(name: str, default: bool) -> bool:
    value = mail_setting(name).strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def inbound_secret() -> str:
    """SOPCRM_INBOUND_SECRET: the shared secret the inbound webhook requires; empty turns the
    webhook off."""
    return mail_setting("SOPCRM_INBOUND_SECRET").strip()


def inbound_max_bytes() -> int:
    text = mail_setting("SOPCRM_INBOUND_MAX_BYTES").strip()
    return int(text) if text.isascii() and text.isdigit() else DEFAULT_INBOUND_MAX_BYTES
