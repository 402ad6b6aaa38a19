"""Checks shared by the record services."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from sopcrm.core.errors import FieldProblem, InvalidInput
from sopcrm.core.models import RecordType, User

from .. import selectors


def require_required(data: Mapping[str, Any], names: Iterable[str]) -> None:
    missing = [n for n in names if data.get(n) in (None, "")]
    if missing:
        raise InvalidInput(
            [FieldProblem(n, "required", _("This field is required.")) for n in missing]
        )


def lock_visible(actor: User, record_type: RecordType, record_id: int) -> Any:
    """The record, read fresh and row-locked for the rest of the transaction, if `actor` may
    see it (one read: the visibility check and the lock are the same statement).

    Reading under the lock means two concurrent updates apply one after the other to fresh
    data instead of the second overwriting the first with what it read before; a change made
    meanwhile that hides the record from `actor` (another owner) is seen, and is NotFound.
    """
    return selectors.record_get(actor, record_type, record_id, for_update=True)
