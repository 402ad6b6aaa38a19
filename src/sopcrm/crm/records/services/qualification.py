"""The inquiry checklist at work (S-27..S-29): the playbook's `qualification` names a
multi_choice field whose options are the checklist items; the number of items the buyer has made
clear sets the score fields (priority, follow-up track) by their bands and, with the buyer's
strength, the grade. The values are set by the system, whoever changed the checklist, and are
re-evaluated whenever the checklist or the strength changes (lead and deal services)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sopcrm.core.models import EventKind, User
from sopcrm.playbook.intake_checks import UNKNOWN_STRENGTH
from sopcrm.playbook.schema import ObjectDef

from .changes import FieldChange
from .logging import event_log
from .playbook_context import StagedRecord, object_of, record_type_of

# Number fields the checklist keeps when the object defines them (conditions read them:
# `checklist_confirmed >= 6` before a precise quote, S-30).
COUNT_FIELD = "checklist_confirmed"
CORE_COUNT_FIELD = "checklist_core_confirmed"


@dataclass(frozen=True)
class Evaluation:
    confirmed: list[str]  # the items made clear, in the checklist's order
    core_confirmed: list[str]
    open_items: list[str]  # the items still open: core first, then the others
    strength: str | None
    values: dict[str, Any]  # what the checklist sets: field key -> value


def qualification_evaluate(obj: ObjectDef, custom: Mapping[str, Any]) -> Evaluation | None:
    """What the checklist in `custom` gives under `obj`'s qualification (None without one).
    The playbook check makes the bands total, so every count and strength has a value."""
    q = obj.qualification
    if q is None:
        return None
    checklist = obj.field(q.field)
    items = checklist.option_keys if checklist is not None else ()
    ticked = set(custom.get(q.field) or ())
    # Keys the playbook no longer has (a newer version dropped the item) do not count.
    confirmed = [key for key in items if key in ticked]
    core = set(q.core)
    core_confirmed = [key for key in confirmed if key in core]
    still_open = [key for key in items if key not in ticked]
    open_items = [k for k in still_open if k in core] + [k for k in still_open if k not in core]
    count = len(confirmed)
    values: dict[str, Any] = {}
    for score in q.scores:
        band = next((b for b in score.bands if count >= b.at_least), None)
        values[score.field] = band.value if band else None
    strength = None
    if q.grade is not None:
        strength = custom.get(q.grade.strength) or None
        grade_band = next((b for b in q.grade.bands if count >= b.at_least), None)
        grades = grade_band.grades if grade_band else {}
        values[q.grade.field] = grades.get(str(strength)) or grades.get(UNKNOWN_STRENGTH)
    if obj.field(COUNT_FIELD) is not None:
        values[COUNT_FIELD] = count
    if obj.field(CORE_COUNT_FIELD) is not None:
        values[CORE_COUNT_FIELD] = len(core_confirmed)
    return Evaluation(confirmed, core_confirmed, open_items, strength, values)


def qualification_apply(
    record: StagedRecord, *, actor: User | None, changed: Sequence[FieldChange] | None = None
) -> list[FieldChange]:
    """Set the values the checklist gives on a lead or deal (in `record.custom`, not saved) and
    return what changed, for the caller to save and log. Given `changed` (what an update just
    changed), it does nothing unless the checklist or the buyer strength is among them.

    A new record nobody has screened yet (neither checklist nor strength given) gets no values:
    its priority and grade stay empty until the checklist is filled in.

    A saved record gets one QUALIFICATION_CHANGED event when its checklist or a value changed;
    a new one has no id yet: call `qualification_log` once it is saved."""
    obj = object_of(record)
    q = obj.qualification
    if q is None:
        return []
    inputs = [q.field, *([q.grade.strength] if q.grade else [])]
    touched = {c.field for c in changed or ()}
    checklist_changed = f"custom.{q.field}" in touched
    if changed is None:
        if not any((record.custom or {}).get(key) for key in inputs):
            return []
    elif not touched & {f"custom.{key}" for key in inputs}:
        return []
    evaluation = qualification_evaluate(obj, record.custom or {})
    assert evaluation is not None
    merged = dict(record.custom or {})
    changes = []
    for key, value in evaluation.values.items():
        if merged.get(key) != value:
            changes.append(FieldChange(f"custom.{key}", merged.get(key), value))
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
    # Set by the system, like a transition's `set`: a rep who may not edit the grade still
    # changes it by ticking the checklist.
    record.custom = merged
    if record.pk is not None and (changes or checklist_changed):
        _log(record, evaluation, actor)
    return changes


def qualification_log(
    record: StagedRecord, changes: Sequence[FieldChange], *, actor: User | None
) -> None:
    """The QUALIFICATION_CHANGED event of a new record, once it is saved (it needs the id)."""
    if not changes:
        return
    evaluation = qualification_evaluate(object_of(record), record.custom or {})
    if evaluation is not None:
        _log(record, evaluation, actor)


def _log(record: StagedRecord, evaluation: Evaluation, actor: User | None) -> None:
    event_log(
        record_type=record_type_of(record),
        record_id=record.pk,
        kind=EventKind.QUALIFICATION_CHANGED,
        actor=actor,
        data={
            "confirmed": evaluation.confirmed,
            "count": len(evaluation.confirmed),
            "core_count": len(evaluation.core_confirmed),
            "open_items": evaluation.open_items,
            "strength": evaluation.strength,
            # Under "custom", like a created event's values: a reader who may not see one of
            # these fields does not see it on the timeline either (selectors.record_timeline).
            "custom": evaluation.values,
        },
    )
