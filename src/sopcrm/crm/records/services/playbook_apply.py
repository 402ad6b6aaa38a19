"""Applying a new playbook version (S-43): the SOP changes going forward without corrupting
records in flight.

Open leads and deals move to the new version and so follow its rules from now on; each keeps its
stage, or takes the stage a mapping names. A version that would leave open records in a stage it
no longer has is refused, listing those records, unless a mapping moves them. Closed records stay
on the version they closed under, so their history reads as it happened.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import DomainError
from sopcrm.core.events import events_record_many
from sopcrm.core.models import Event, EventKind, RecordType, User
from sopcrm.crm.messaging.services.seeding import templates_seed_from_playbook
from sopcrm.playbook.diff import PlaybookDiff, playbook_diff
from sopcrm.playbook.loader import load_playbook
from sopcrm.playbook.schema import ObjectType, Playbook, StageKind
from sopcrm.process.engine import calendar_for
from sopcrm.process.models import PlaybookVersion
from sopcrm.process.playbooks import playbook_activate, playbook_for_version

from ..models import Deal, Lead


@dataclass(frozen=True)
class StrandedGroup:
    object_type: str
    pipeline: str
    stage: str
    record_ids: list[int]


class StrandedRecords(DomainError):
    code = "stranded_records"
    http_status = 409

    def __init__(self, groups: list[StrandedGroup]) -> None:
        self.groups = groups
        lines = [
            f"{g.object_type} {g.pipeline}.{g.stage}: {len(g.record_ids)} record(s) "
            f"({', '.join(map(str, g.record_ids[:20]))}{', …' if len(g.record_ids) > 20 else ''})"
            for g in groups
        ]
        super().__init__(
            _("The new version has no stage for these open records; give a stage mapping:")
            + "\n"
            + "\n".join(lines)
        )


@dataclass
class ApplyResult:
    version: PlaybookVersion | None
    diff: PlaybookDiff | None
    moved: dict[str, int] = field(default_factory=dict)
    remapped: dict[str, int] = field(default_factory=dict)


_MODELS: tuple[tuple[type[Lead] | type[Deal], ObjectType, RecordType], ...] = (
    (Lead, ObjectType.LEAD, RecordType.LEAD),
    (Deal, ObjectType.DEAL, RecordType.DEAL),
)


def _open_groups(
    model: type[Lead] | type[Deal], object_type: ObjectType
) -> dict[tuple[str, str], list[int]]:
    """Open records by (pipeline, stage); open means an open stage under the record's version."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    rows = model.objects.values_list("pk", "playbook_version_id", "pipeline", "stage")
    kinds: dict[tuple[object, str, str], StageKind | None] = {}
    for pk, version_id, pipeline_key, stage_key in rows.iterator(chunk_size=5000):
        cache_key = (version_id, pipeline_key, stage_key)
        if cache_key not in kinds:
            pipeline = playbook_for_version(version_id).object(object_type).pipeline(pipeline_key)
            stage = pipeline.stage(stage_key) if pipeline else None
            kinds[cache_key] = stage.kind if stage else None
        if kinds[cache_key] == StageKind.OPEN:
            groups[(pipeline_key, stage_key)].append(pk)
    return groups


def _target(mapping: dict[str, str], object_type: ObjectType, pipeline: str, stage: str) -> str:
    return (
        mapping.get(f"{object_type.value}.{pipeline}.{stage}")
        or mapping.get(f"{object_type.value}.{stage}")
        or stage
    )


@transaction.atomic
def playbook_apply(
    *,
    source: str,
    source_name: str,
    actor: User | None,
    stage_mapping: dict[str, str] | None = None,
    dry_run: bool = False,
) -> ApplyResult:
    """Check `source`, show what changes, refuse if records would be stranded, else activate.

    `stage_mapping` keys are `object.pipeline.stage` or `object.stage`, values stage keys of the
    new version. With `dry_run` nothing is written.
    """
    new, _source = load_playbook(source, source_name)
    mapping = stage_mapping or {}
    current = PlaybookVersion.objects.filter(is_active=True).first()
    diff = playbook_diff(playbook_for_version(current.pk), new) if current else None

    plan: list[tuple[type[Lead] | type[Deal], RecordType, str, str, str, list[int]]] = []
    stranded: list[StrandedGroup] = []
    for model, object_type, record_type in _MODELS:
        for (pipeline_key, stage_key), ids in sorted(_open_groups(model, object_type).items()):
            target = _target(mapping, object_type, pipeline_key, stage_key)
            new_pipeline = new.object(object_type).pipeline(pipeline_key)
            found = new_pipeline.stage(target) if new_pipeline else None
            # A stage that is gone, or that became a closed stage under the same key, would
            # change what these records are without anyone deciding it.
            if found is None or (found.kind != StageKind.OPEN and target == stage_key):
                stranded.append(StrandedGroup(object_type.value, pipeline_key, stage_key, ids))
            else:
                plan.append((model, record_type, pipeline_key, stage_key, target, ids))
    if stranded:
        raise StrandedRecords(stranded)
    result = ApplyResult(version=None, diff=diff)
    if dry_run:
        return result
    version = playbook_activate(source=source, source_name=source_name, actor=actor)
    result.version = version
    # The playbook's email templates the team library lacks (edited ones are never overwritten).
    templates_seed_from_playbook(version)
    at = now()
    for model, record_type, pipeline_key, old_stage, new_stage, ids in plan:
        valid, first = _substates(new, record_type, model, ids[0], new_stage)
        updates: dict[str, object] = {"playbook_version_id": version.pk, "updated_at": at}
        if new_stage != old_stage:
            updates.update(stage=new_stage, substate=first, stage_entered_at=at)
            result.remapped[f"{record_type.value}.{old_stage}->{new_stage}"] = len(ids)
            common = {
                "pipeline": pipeline_key,
                "playbook_version": version.number,
                "remapped": True,
            }
            events_record_many(
                Event(
                    record_type=record_type,
                    record_id=pk,
                    kind=kind,
                    actor=actor,
                    occurred_at=at,
                    data={**common, **data},
                )
                for pk, stay in _stays(model, ids, at).items()
                for kind, data in (
                    (EventKind.STAGE_LEFT, {"stage": old_stage, "to": new_stage, **stay}),
                    (EventKind.STAGE_ENTERED, {"stage": new_stage}),
                )
            )
        model.objects.filter(pk__in=ids).update(**updates)
        # A step the new version no longer has restarts at the stage's first step.
        model.objects.filter(pk__in=ids).exclude(substate__in=valid).update(substate=first)
        result.moved[record_type.value] = result.moved.get(record_type.value, 0) + len(ids)
    return result


def _stays(
    model: type[Lead] | type[Deal], ids: list[int], at: datetime
) -> dict[int, dict[str, float]]:
    """The stay each record ends in its old stage, as every `stage_left` event carries it:
    calendar days and business days on the calendar of the version the record ran under."""
    rows = model.objects.filter(pk__in=ids).values_list(
        "pk", "stage_entered_at", "playbook_version_id"
    )
    return {
        pk: {
            "days_in_stage": round((at - entered).total_seconds() / 86400, 4),
            "business_days": calendar_for(
                playbook_for_version(version_id).calendar
            ).working_days_between(entered, at),
        }
        for pk, entered, version_id in rows
    }


def _substates(
    playbook: Playbook,
    record_type: RecordType,
    model: type[Lead] | type[Deal],
    pk: int,
    stage_key: str,
) -> tuple[list[str], str]:
    """(the valid sub-state keys, the first one) of a stage in the new version; ('', '') when
    the stage has no steps."""
    record = model.objects.only("pipeline").get(pk=pk)
    pipeline = playbook.object(record_type.value).pipeline(record.pipeline)
    stage = pipeline.stage(stage_key) if pipeline else None
    if stage is None or not stage.substates:
        return [""], ""
    return [s.key for s in stage.substates], stage.substates[0].key
