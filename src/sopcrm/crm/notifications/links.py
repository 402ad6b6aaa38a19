"""Where a notification points: the web page of its record, as a path or an absolute URL.

The crm layer may not import the web layer (its URLconf), so the paths of the record pages are
written out here; a test checks them against the web URLconf (`lead_detail`, `deal_detail`, ...).
Emails need absolute URLs: they are built on SOPCRM_BASE_URL, the address users reach the site
at (a worker sending a digest has no request to take a host name from).
"""

from django.conf import settings

from sopcrm.core.models import RecordType

RECORD_PATHS = {
    RecordType.LEAD: "/leads/{id}/",
    RecordType.DEAL: "/deals/{id}/",
    RecordType.ACCOUNT: "/accounts/{id}/",
    RecordType.CONTACT: "/contacts/{id}/",
    RecordType.ACTIVITY: "/activities/{id}/",
}
INBOX_PATH = "/notifications/"
SETTINGS_PATH = "/settings/"
DEFAULT_BASE_URL = "http://localhost:8000"


def record_path(record_type: str, record_id: int | None) -> str:
    """The record page's path (`/deals/12/`), or "" for a notification about no record."""
    if not record_type or record_id is None or record_type not in RecordType.values:
        return ""
    return RECORD_PATHS[RecordType(record_type)].format(id=record_id)


def absolute_url(path: str) -> str:
    base = str(getattr(settings, "SOPCRM_BASE_URL", "") or DEFAULT_BASE_URL).rstrip("/")
    return f"{base}{path}"
