"""Two leads that are one buyer becoming one (S-25).

- `inquiry_merge`: the `merge` duplicate policy. A repeat inquiry is logged on the lead it
  duplicates as an inbound note with every value it brought; nothing is dropped, and the lead
  keeps its values.
- `lead_merge`: a person merges two leads. The values chosen field by field go to the lead that
  is kept (through `lead_update`, so each change is on its timeline), the activities and deals of
  the other lead move to it, and the other lead is closed: moved to its pipeline's lost stage
  with the reason, and linked to the kept one (`duplicate_of`). Both timelines say what happened
  (a MERGED event on each), and the absorbed lead's own history stays readable on its page.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict, FieldProblem, InvalidInput, PermissionDenied
from sopcrm.core.models import EventKind, RecordType, User
from sopcrm.core.users import system_user
from sopcrm.core.visibility import can_see_owner
from sopcrm.playbook.schema import ObjectType, StageKind
from sopcrm.process.fields import editable_field_keys, visible_field_keys
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..models import Activity, ActivityStatus, Deal, Lead
from . import changes as c
from .activities import activity_create, activity_update
from .guards import lock_visible
from .leads import LEAD_CREATE_FIELDS, lead_update
from .logging import event_log
from .playbook_context import pipeline_of
from .timing import record_timers_refresh
from .transitions import record_move_documented

# The core fields a merge chooses between (custom fields are `custom.<key>`).
MERGE_CORE_FIELDS = ("name", "company", "email", "phone", "country", "source", "message", "owner")
KEEP, ABSORB = "keep", "absorb"


# -- the `merge` duplicate policy ----------------------------------------------------------------


def inquiry_clean(data: Mapping[str, Any], *, actor: User) -> dict[str, Any]:
    """The inquiry's values as `lead_create` would store them, or InvalidInput with every
    problem it would report. Writes nothing (the public form also uses it to list every
    problem at once)."""
    values = dict(data)
    values.pop("pipeline", None)
    problems: list[FieldProblem] = []
    if values.get("name") in (None, ""):
        problems.append(FieldProblem("name", "required", _("This field is required.")))
    scratch = Lead(received_at=now())
    try:
        c.apply_changes(
            scratch,
            values,
            cleaners=LEAD_CREATE_FIELDS,
            actor=actor,
            playbook=playbook_for_version(active_version().pk),
            object_type=ObjectType.LEAD,
        )
    except InvalidInput as error:
        problems += [p for p in error.problems if p.field not in {q.field for q in problems}]
    if problems:
        raise InvalidInput(problems)
    cleaned = {name: getattr(scratch, name) for name in values if name != "custom"}
    if "owner" in cleaned:
        cleaned["owner"] = scratch.owner_id
    if scratch.custom:
        cleaned["custom"] = scratch.custom
    return cleaned


def _as_text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@transaction.atomic
def inquiry_merge(
    existing: Lead, data: Mapping[str, Any], *, actor: User, import_key: str | None = None
) -> Lead:
    """Log the repeat inquiry on the existing lead (nothing is dropped) and keep its values.

    The inquiry is checked as if it made a lead of its own: a bad value is an InvalidInput and
    logs nothing. Duplicates are found across owners, so `actor` may not see `existing` (a rep's
    API batch): the note is then written by the automation user."""
    cleaned = inquiry_clean(data, actor=actor)
    author = actor if can_see_owner(actor, existing.owner) else system_user()
    lines = [
        f"{name}: {_as_text(value)}"
        for name, value in cleaned.items()
        if name not in ("message", "custom") and value not in (None, "")
    ]
    lines += [f"{key}: {_as_text(value)}" for key, value in (cleaned.get("custom") or {}).items()]
    note: dict[str, Any] = {
        "kind": "note",
        "direction": "inbound",
        "subject": _("Repeat inquiry"),
        "summary": cleaned.get("message") or _("Repeat inquiry"),
        "body": "\n".join(lines),
        "lead": existing.pk,
    }
    if cleaned.get("received_at") is not None:
        note["occurred_at"] = cleaned["received_at"]
    owner = existing.owner
    if owner is not None and owner.is_active and owner.pk != author.pk:
        note["owner"] = owner.pk  # the task list and timeline of the lead's rep show it
    activity = activity_create(actor=author, data=note)
    event_log(
        record_type=RecordType.LEAD,
        record_id=existing.pk,
        kind=EventKind.MERGED,
        actor=actor,
        data={
            "inquiry": {
                k: _as_text(v)[:200] for k, v in cleaned.items() if k != "custom" and v is not None
            },
            "activity": activity.pk,
            "import_key": import_key,
        },
    )
    return existing


# -- merging two leads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeField:
    """A field on which the two leads differ: `name` is `email`, `custom.region`, ..."""

    name: str
    keep_value: Any
    absorb_value: Any


def _value(lead: Lead, name: str) -> Any:
    if name.startswith("custom."):
        return (lead.custom or {}).get(name.removeprefix("custom."))
    if name == "owner":
        return lead.owner_id
    return getattr(lead, name)


def merge_fields(keep: Lead, absorb: Lead, *, actor: User) -> list[MergeField]:
    """The fields a merge of `absorb` into `keep` chooses between: those that differ, that
    `actor` may see and edit (under the kept lead's playbook version)."""
    playbook = playbook_for_version(keep.playbook_version_id)
    visible = visible_field_keys(actor, playbook, ObjectType.LEAD)
    editable = editable_field_keys(actor, playbook, ObjectType.LEAD)
    keys = sorted(set(keep.custom or {}) | set(absorb.custom or {}))
    names = [*MERGE_CORE_FIELDS, *(f"custom.{k}" for k in keys if k in visible & editable)]
    return [
        MergeField(name, _value(keep, name), _value(absorb, name))
        for name in names
        if _value(keep, name) != _value(absorb, name)
    ]


def _chosen_changes(
    keep: Lead, absorb: Lead, choose: Mapping[str, str], actor: User
) -> dict[str, Any]:
    """`lead_update` input taking the values chosen from `absorb`; InvalidInput for a field
    that cannot be chosen or a choice that is neither "keep" nor "absorb"."""
    allowed = {f.name for f in merge_fields(keep, absorb, actor=actor)}
    problems: list[FieldProblem] = []
    data: dict[str, Any] = {}
    for name, side in choose.items():
        if side not in (KEEP, ABSORB):
            problems.append(FieldProblem(name, "choice", _("Choose keep or absorb.")))
        elif side == KEEP:
            continue
        elif name not in allowed:
            problems.append(FieldProblem(name, "unknown_field", _("No such field to choose.")))
        elif name.startswith("custom."):
            data.setdefault("custom", {})[name.removeprefix("custom.")] = _value(absorb, name)
        elif name == "owner" and absorb.owner_id is None:
            problems.append(
                FieldProblem(name, "required", _("The merged lead keeps an owner if it has one."))
            )
        else:
            data[name] = _value(absorb, name)
    if problems:
        raise InvalidInput(problems)
    return data


def may_merge(actor: User, keep: Lead, absorb: Lead) -> bool:
    """A manager or an admin (of leads they can see), or a rep who owns both."""
    if actor.is_admin or actor.is_manager:
        return True  # who they may see was checked when the leads were locked
    return keep.owner_id == actor.pk and absorb.owner_id == actor.pk


def _close(absorb: Lead, keep: Lead, actor: User) -> str | None:
    """Move `absorb` to its pipeline's lost stage, if it is open; the stage it went to."""
    pipeline = pipeline_of(absorb)
    current = pipeline.stage(absorb.stage)
    if current is not None and current.kind != StageKind.OPEN:
        return None
    lost = next((s for s in pipeline.stages if s.kind == StageKind.LOST), None)
    if lost is None:
        return None
    # Not `record_exception_move`: that is the owner's manager authorising a skip in the
    # process, while a rep may merge two leads of their own. The move is logged the same way,
    # with the merge as the documented reason.
    reason = _("Merged into lead #%(id)s (%(name)s).") % {"id": keep.pk, "name": keep}
    record_move_documented(absorb, lost, reason=reason, actor=actor, merged_into=keep.pk)
    return lost.key


@transaction.atomic
def lead_merge(
    keep: Lead, absorb: Lead, *, actor: User, choose: Mapping[str, str] | None = None
) -> Lead:
    """Merge `absorb` into `keep`. `choose` maps a field (`email`, `custom.region`, see
    `merge_fields`) to "keep" or "absorb"; fields not named keep their value.

    The actor must see both leads (else NotFound, as for any record) and be a manager or an
    admin, or own both. A converted lead cannot be absorbed (its deals carry its history): merge
    the other way round."""
    if keep.pk == absorb.pk:
        raise InvalidInput.single(
            "absorb", "same_record", _("A lead cannot be merged into itself.")
        )
    # Lock in id order: two merges of the same pair, either way round, cannot deadlock.
    locked = {pk: lock_visible(actor, RecordType.LEAD, pk) for pk in sorted((keep.pk, absorb.pk))}
    keep, absorb = locked[keep.pk], locked[absorb.pk]
    if not may_merge(actor, keep, absorb):
        raise PermissionDenied(_("Only a manager, or the owner of both leads, may merge them."))
    stage = pipeline_of(absorb).stage(absorb.stage)
    if stage is not None and stage.kind == StageKind.WON:
        raise Conflict(
            _("A converted lead cannot be merged into another; merge the other way round."),
            code="converted",
        )
    chosen = _chosen_changes(keep, absorb, choose or {}, actor)
    if chosen:
        keep = lead_update(keep, actor=actor, data=chosen)

    closed_in = _close(absorb, keep, actor)
    absorb.duplicate_of = keep
    absorb.updated_at = now()
    absorb.save()
    if keep.duplicate_of_id == absorb.pk:  # the link now points the other way
        keep.duplicate_of = None
        keep.save(update_fields=["duplicate_of"])

    activities = list(Activity.objects.filter(lead=absorb).order_by("pk"))
    Activity.objects.filter(pk__in=[a.pk for a in activities]).update(lead=keep)
    for task in activities:
        if (
            task.status == ActivityStatus.OPEN
            and keep.owner_id is not None
            and task.owner_id != keep.owner_id
        ):
            activity_update(task, actor=actor, data={"owner": keep.owner_id})
    deals = list(Deal.objects.filter(lead=absorb).values_list("pk", flat=True))
    Deal.objects.filter(pk__in=deals).update(lead=keep, updated_at=now())
    for deal_id in deals:
        event_log(
            record_type=RecordType.DEAL,
            record_id=deal_id,
            kind=EventKind.FIELD_CHANGED,
            actor=actor,
            data={"field": "lead", "old": absorb.pk, "new": keep.pk},
        )
    moved = {"activities": [a.pk for a in activities], "deals": deals}
    event_log(
        record_type=RecordType.LEAD,
        record_id=keep.pk,
        kind=EventKind.MERGED,
        actor=actor,
        data={
            "absorbed": absorb.pk,
            "absorbed_name": str(absorb),
            "chosen": sorted(name for name, side in (choose or {}).items() if side == ABSORB),
            # The absorbed lead's core values, so the kept lead's history shows what came in
            # (custom values stay on the absorbed lead: some are not for every reader).
            "absorbed_values": {
                name: _value(absorb, name)
                for name in MERGE_CORE_FIELDS
                if _value(absorb, name) not in (None, "")
            },
            **moved,
        },
    )
    event_log(
        record_type=RecordType.LEAD,
        record_id=absorb.pk,
        kind=EventKind.MERGED,
        actor=actor,
        data={"merged_into": keep.pk, "merged_into_name": str(keep), "stage": closed_in, **moved},
    )
    record_timers_refresh(RecordType.LEAD, keep)
    return keep
