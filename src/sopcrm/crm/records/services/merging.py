"""Adding a repeat inquiry to the lead it duplicates (the `merge` duplicate policy)."""

from collections.abc import Mapping
from typing import Any

from sopcrm.core.models import EventKind, RecordType, User

from ..models import Lead
from .activities import activity_create
from .logging import event_log


def inquiry_merge(
    existing: Lead, data: Mapping[str, Any], *, actor: User, import_key: str | None = None
) -> Lead:
    """Log the repeat inquiry on the existing lead (nothing is dropped) and keep its values."""
    message = str(data.get("message") or "").strip()
    activity_create(
        actor=actor,
        data={
            "kind": "note",
            "direction": "inbound",
            "summary": message or "(repeat inquiry)",
            "lead": existing.pk,
        },
    )
    event_log(
        record_type=RecordType.LEAD,
        record_id=existing.pk,
        kind=EventKind.MERGED,
        actor=actor,
        data={"inquiry": {k: str(v)[:200] for k, v in data.items()}, "import_key": import_key},
    )
    return existing
