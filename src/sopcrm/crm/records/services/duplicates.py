"""Finding the lead an inquiry duplicates (S-25): normalised email, normalised phone, company
email domain, fuzzy company name. (Extended by the intake work: see docs/intake.md.)"""

from collections.abc import Mapping
from typing import Any

from ..models import Lead


def duplicate_find(data: Mapping[str, Any], *, exclude: int | None = None) -> Lead | None:
    """The earliest lead the inquiry duplicates, or None."""
    email = str(data.get("email") or "").strip().lower()
    if not email:
        return None
    found = Lead.objects.filter(email__iexact=email)
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return found.order_by("pk").first()
