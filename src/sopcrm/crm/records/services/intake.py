"""One inquiry in, by any path that is not a person typing it (S-25): the public web form, the
API batch, CSV/XLSX import. Validation, the duplicate check, assignment (S-26), qualification
(S-27..S-29), the first-contact task and the first-response clock (S-17/S-18) all happen in
`lead_create`; this adds what intake needs around it: the import fingerprint (a row imported
twice is added once) and the playbook's duplicate policy (link or merge, never drop)."""

from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction

from sopcrm.core.errors import DomainError
from sopcrm.core.events import events_pending
from sopcrm.core.held import rows_held
from sopcrm.core.models import Event, EventKind, RecordType, User
from sopcrm.core.users import system_user
from sopcrm.playbook.schema import DuplicatePolicy, ObjectType
from sopcrm.process.models import PlaybookVersion
from sopcrm.process.playbooks import active_version, active_version_pinned, playbook_for_version

from ..models import Lead
from .duplicates import duplicate_find
from .leads import lead_create
from .logging import event_log
from .merging import inquiry_merge
from .timing import rules_batch


class IntakeOutcome(StrEnum):
    CREATED = "created"
    LINKED = "linked"  # created, and linked to the lead it duplicates
    MERGED = "merged"  # added to the existing lead instead of a new one
    ALREADY_IMPORTED = "already_imported"  # this import row came in before


@dataclass(frozen=True)
class IntakeResult:
    lead: Lead
    outcome: IntakeOutcome
    duplicate_of: Lead | None = None


@transaction.atomic
def lead_intake(
    *, data: Mapping[str, Any], actor: User | None, import_key: str | None = None
) -> IntakeResult:
    """Take in one inquiry. `actor` is who sends it (None for the public form: the automation
    user). The lead is assigned by the playbook's rules unless `data` names an owner."""
    if import_key:
        seen = Lead.objects.filter(import_key=import_key).first()
        if seen is None:  # a row merged into an existing lead earlier
            merged = Event.objects.filter(
                kind=EventKind.MERGED, record_type=RecordType.LEAD, data__import_key=import_key
            ).first() or _merged_in_this_batch(import_key)
            seen = Lead.objects.filter(pk=merged.record_id).first() if merged else None
        if seen is not None:
            return IntakeResult(seen, IntakeOutcome.ALREADY_IMPORTED)
    by = actor or system_user()
    obj = playbook_for_version(active_version().pk).object(ObjectType.LEAD)
    policy = obj.duplicates.on_intake if obj.duplicates else None
    threshold = obj.duplicates.company_similarity if obj.duplicates else None
    duplicate = duplicate_find(data, threshold=threshold) if policy is not None else None
    if duplicate is not None and policy == DuplicatePolicy.MERGE:
        return IntakeResult(
            inquiry_merge(duplicate, data, actor=by, import_key=import_key),
            IntakeOutcome.MERGED,
            duplicate,
        )
    lead = lead_create(actor=by, data=data, assign=True, import_key=import_key)
    if duplicate is None:
        return IntakeResult(lead, IntakeOutcome.CREATED)
    lead.duplicate_of = duplicate
    lead.save(update_fields=["duplicate_of"])
    event_log(
        record_type=RecordType.LEAD,
        record_id=lead.pk,
        kind=EventKind.DUPLICATE_FOUND,
        actor=by,
        data={"duplicate_of": duplicate.pk},
    )
    return IntakeResult(lead, IntakeOutcome.LINKED, duplicate)


def _merged_in_this_batch(import_key: str) -> Event | None:
    # In `leads_intake_many` a chunk's events are written at its end.
    return next(
        (
            event
            for event in events_pending()
            if event.kind == EventKind.MERGED
            and event.record_type == RecordType.LEAD
            and event.data.get("import_key") == import_key
        ),
        None,
    )


@dataclass(frozen=True)
class IntakeItem:
    data: Mapping[str, Any]
    import_key: str | None = None


# Leads per transaction of `leads_intake_many`: long enough to save most commits, short enough
# that other writers (on SQLite, every writer; on PostgreSQL, other intakes waiting for the
# assignment turn) wait no more than a second or two.
INTAKE_CHUNK = 50


def leads_intake_many(
    items: Iterable[IntakeItem], *, actor: User | None, chunk: int = INTAKE_CHUNK
) -> list[IntakeResult | DomainError]:
    """Take in many inquiries (the API batch): each through `lead_intake`, in order, `chunk` to
    a transaction, each in a savepoint of its own, so a bad one is undone alone and reported as
    its error (InvalidInput with the field problems) while the others go in; a later one sees
    the earlier ones (a repeat inside the batch is a duplicate). The same leads, owners, tasks,
    timers and events as taking them one by one, with per chunk a commit, one read of the
    active playbook version and one insert of all the events (and of the new timers and of the
    clocks, but under the merge policy) instead of those per lead."""
    pending = list(items)
    results: list[IntakeResult | DomainError] = []
    for start in range(0, len(pending), max(1, chunk)):
        with (
            transaction.atomic(),
            active_version_pinned() as version,
            rules_batch(),
            # The new leads' timers and clocks wait for the chunk's end too, unless a later
            # inquiry may be merged into an earlier lead of the chunk, which reads its clocks.
            nullcontext() if _merges(version) else rows_held(),
        ):
            for item in pending[start : start + max(1, chunk)]:
                try:
                    # lead_intake is atomic itself: inside this transaction, a savepoint; the
                    # inner blocks drop what a lead rolled back had held.
                    with rules_batch(), rows_held():
                        results.append(
                            lead_intake(data=item.data, actor=actor, import_key=item.import_key)
                        )
                except DomainError as error:
                    results.append(error)
    return results


def _merges(version: PlaybookVersion) -> bool:
    duplicates = playbook_for_version(version.pk).object(ObjectType.LEAD).duplicates
    return duplicates is not None and duplicates.on_intake == DuplicatePolicy.MERGE
