"""The generator's building blocks: the rows of a batch (`Rows`) and `World`, which holds what
every story shares (the clock, the playbook, the people, the next ids) and writes the rows the
services would have written for a task, a logged contact, a stage change, a created record or a
pending timer, in the same shapes (see crm/records/services/logging.py, process_tasks.py,
activities.py and transitions.py). Nothing is saved here; bench/stories.py tells what happened
to each record and bench/generate.py inserts the rows in bulk."""

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext as _

from sopcrm.core.calendar import BusinessCalendar
from sopcrm.core.models import EventKind, RecordType
from sopcrm.crm.records.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Channel,
    Deal,
    Direction,
    FeedbackType,
    Lead,
    NewInformation,
)
from sopcrm.crm.records.services.qualification import qualification_evaluate
from sopcrm.playbook.schema import ObjectDef, TaskTemplate, TriggerKind, parse_duration
from sopcrm.process import engine
from sopcrm.process.models import Timer, TimerKind

from .rows import ActivityRow, Customer, Rows

COUNTRIES = {
    "DE": ("49", "eu_us"),
    "US": ("1", "eu_us"),
    "GB": ("44", "eu_us"),
    "PL": ("48", "eu_us"),
    "IT": ("39", "eu_us"),
    "ES": ("34", "eu_us"),
    "VN": ("84", "sea"),
    "TH": ("66", "sea"),
    "ID": ("62", "sea"),
    "BR": ("55", "latam"),
    "MX": ("52", "latam"),
    "AE": ("971", "mea"),
    "SA": ("966", "mea"),
    "NG": ("234", "mea"),
    "TR": ("90", "mea"),
    "IN": ("91", "other"),
}
WORDS = ["Acme", "Global", "Sun", "Delta", "Nova", "Prime", "Orient", "Atlas", "Vertex", "Blue"]
KINDS = ["Trading", "Industries", "Imports", "Supply", "Valves", "Tools", "Electric", "Group"]
FIRST = ["Anna", "Ben", "Carlos", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
LAST = ["Schmidt", "Garcia", "Nguyen", "Silva", "Kowalski", "Yilmaz", "Okafor", "Haddad", "Rossi"]
PRODUCTS = ["DN50 ball valves", "PN16 gate valves", "butterfly valves", "stainless flanges"]
CURRENCIES = (("USD", 70), ("EUR", 20), ("CNY", 5), ("GBP", 5))
LOGGED = (
    (ActivityKind.CALL, Channel.PHONE, 25),
    (ActivityKind.EMAIL, Channel.EMAIL, 35),
    (ActivityKind.MESSAGE, Channel.WHATSAPP, 20),
    (ActivityKind.MESSAGE, Channel.WECHAT, 5),
    (ActivityKind.MEETING, Channel.VIDEO, 5),
    (ActivityKind.NOTE, "", 10),
)


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class World:
    """What every story shares: the clock, the playbook, the people, the ids and the rows."""

    def __init__(
        self,
        *,
        rng: random.Random,
        at: datetime,
        version_id: Any,
        lead_obj: ObjectDef,
        deal_obj: ObjectDef,
        calendar: BusinessCalendar,
        reps: Sequence[Any],
        rep_weights: Sequence[float],
        automation_id: int,
        language: str,
        next_ids: dict[type, int],
    ) -> None:
        self.rng, self.at, self.version_id = rng, at, version_id
        self.lead_obj, self.deal_obj, self.calendar = lead_obj, deal_obj, calendar
        self.reps, self.rep_weights = list(reps), list(rep_weights)
        self.automation_id, self.language = automation_id, language
        self.next_ids = next_ids
        self.rows = Rows()
        self.customers: dict[int, list[Customer]] = {rep.pk: [] for rep in reps}
        self.serial = 0  # numbers names, emails and phones so they are unique

    # -- ids, names, values ------------------------------------------------------------------
    def take_id(self, model: type) -> int:
        n = self.next_ids[model]
        self.next_ids[model] = n + 1
        return n

    def number(self) -> int:
        self.serial += 1
        return self.serial

    def rep(self) -> Any:
        return self.rng.choices(self.reps, weights=self.rep_weights)[0]

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def company(self, n: int) -> str:
        return f"{self.rng.choice(WORDS)} {self.rng.choice(KINDS)} {n} Ltd"

    def phone(self, country: str, n: int) -> str:
        return f"+{COUNTRIES[country][0]}{30_000_000 + n}"

    def money(self, low: int, high: int, currency: str) -> dict[str, str]:
        return {"amount": f"{self.rng.randint(low, high)}.00", "currency": currency}

    def currency(self) -> str:
        return self.rng.choices([c for c, _w in CURRENCIES], weights=[w for _c, w in CURRENCIES])[0]

    def checklist(self, obj: ObjectDef, *, at_least: int = 0, all_core: bool = False) -> list[str]:
        q = obj.qualification
        assert q is not None
        field_def = obj.field(q.field)
        assert field_def is not None
        items = list(field_def.option_keys)
        count = max(at_least, min(len(items), int(self.rng.triangular(0, len(items), 6))))
        # Buyers make the core points clear first (spec, quantity, lead time, ...).
        core = list(q.core) if all_core else []
        rest = [k for k in items if k not in core]
        ordered = sorted(rest, key=lambda k: (k not in q.core, self.rng.random()))
        chosen = set(core + ordered[: max(0, count - len(core))])
        return [k for k in items if k in chosen]

    def qualified(self, obj: ObjectDef, custom: dict[str, Any]) -> dict[str, Any]:
        """`custom` with the values the checklist sets (priority, track, grade, counts)."""
        if not custom.get("checklist") and not custom.get("buyer_strength"):
            return custom
        evaluation = qualification_evaluate(obj, custom)
        assert evaluation is not None
        merged = dict(custom)
        for key, value in evaluation.values.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    # -- rows --------------------------------------------------------------------------------
    def event(
        self,
        record_type: RecordType,
        record_id: int,
        kind: EventKind,
        at: datetime,
        actor_id: int | None,
        data: dict[str, Any],
    ) -> None:
        # Values in `data` (datetimes, decimals) are stored as core.events.jsonable makes them:
        # the insert encodes JSON with DjangoJSONEncoder.
        self.rows.events.append((str(record_type), record_id, str(kind), actor_id, data, at))

    def timer(
        self,
        kind: TimerKind,
        record_type: RecordType,
        record_id: int,
        due_at: datetime,
        created_at: datetime,
        *,
        key: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        """A pending timer, if its time is still to come; one whose time passed has fired (the
        generator writes no firings: no overdue events, no notifications)."""
        if due_at <= self.at:
            return
        self.rows.timers.append(
            Timer(
                kind=kind,
                record_type=record_type,
                record_id=record_id,
                key=key,
                due_at=due_at,
                data=data or {},
                created_at=created_at,
            )
        )

    def due(self, template: TaskTemplate, created: datetime, anchors: engine.Anchors) -> datetime:
        if template.due.from_ == "task_created":  # engine.due_at reads the clock for this one
            return self.calendar.add(
                created, parse_duration(template.due.after), template.due.clock.value
            )
        found = engine.due_at(template, anchors, self.calendar)
        return found or created + parse_duration(template.due.after)

    def outcome(
        self, created: datetime, due: datetime, window_end: datetime
    ) -> tuple[str, datetime | None]:
        """How a task due at `due` ended: done (when), still open, or cancelled when the record
        left the stages it belongs to (`window_end`, the present if it has not)."""
        rng = self.rng
        chance = 0.97 if self.at - due > timedelta(days=30) else 0.85
        if rng.random() < chance:
            if rng.random() < 0.8:  # most are done on time, some a day or two late
                room = min(24.0, max(0.0, (due - created).total_seconds() / 3600))
                done = due - timedelta(hours=rng.uniform(0, room))
            else:
                done = due + timedelta(hours=rng.uniform(0, 48))
            done = max(done, created + timedelta(minutes=5))
            if done <= min(window_end, self.at):
                return ActivityStatus.DONE, done
        if window_end >= self.at:
            return ActivityStatus.OPEN, None
        return ActivityStatus.CANCELLED, window_end

    def task(
        self,
        record: Lead | Deal,
        *,
        subject: str,
        template_key: str,
        created: datetime,
        due: datetime,
        active_in: list[str],
        status: str,
        ended: datetime | None,
        owner_id: int,
        created_by_id: int | None,
        channel: str = "",
        completed_by: str = "",
        stage_left_to: str = "",
    ) -> ActivityRow:
        """A task with its events (created; completed or cancelled) and, when open and not yet
        due, its pending due timer. `completed_by` names the transition that completed it."""
        record_type = RecordType.LEAD if isinstance(record, Lead) else RecordType.DEAL
        task = ActivityRow(
            id=self.take_id(Activity),
            kind=ActivityKind.TASK,
            status=ActivityStatus.OPEN,
            subject=subject,
            channel=channel,
            direction=Direction.OUTBOUND,
            due_at=due,
            owner_id=owner_id,
            template_key=template_key,
            active_in=active_in,
            created_at=created,
            updated_at=created,
            created_by_id=created_by_id,
            **({"lead_id": record.pk} if isinstance(record, Lead) else {"deal_id": record.pk}),
        )
        self.rows.activities.append(task)
        self._task_event(task, record_type, record.pk, EventKind.ACTIVITY_CREATED, created)
        if status == ActivityStatus.OPEN:
            self.timer(TimerKind.TASK_DUE, RecordType.ACTIVITY, task.pk, due, created)
            return task
        assert ended is not None
        task.status, task.updated_at = status, ended
        if status == ActivityStatus.CANCELLED:
            self._task_event(
                task,
                record_type,
                record.pk,
                EventKind.ACTIVITY_CANCELLED,
                ended,
                reason="stage_left",
                stage=stage_left_to,
            )
            return task
        task.completed_at = task.occurred_at = ended
        if completed_by:
            task.summary = _("Done by the transition “%(label)s”.") % {"label": completed_by}
            self.event(
                record_type,
                record.pk,
                EventKind.ACTIVITY_COMPLETED,
                ended,
                owner_id,
                {
                    "activity": task.pk,
                    "kind": task.kind,
                    "subject": task.subject,
                    "template": task.template_key,
                    "transition": completed_by,
                },
            )
            return task
        task.summary = "Done; customer informed, next step agreed."
        if template_key.startswith(("chase_", "dormant")):  # completion_requires (S-15)
            task.channel = task.channel or self.rng.choice([Channel.EMAIL, Channel.WHATSAPP])
            task.feedback_type = self.rng.choice(list(FeedbackType.values))
            task.new_information = self.rng.choice(list(NewInformation.values))
        self._logged_event(task, record_type, record.pk, EventKind.ACTIVITY_COMPLETED, ended)
        return task

    def _task_event(
        self,
        task: ActivityRow,
        record_type: RecordType,
        record_id: int,
        kind: EventKind,
        at: datetime,
        **extra: Any,
    ) -> None:
        # The shape of process_tasks._log.
        self.event(
            record_type,
            record_id,
            kind,
            at,
            task.created_by_id,
            {
                "activity": task.pk,
                "kind": task.kind,
                "subject": task.subject,
                "template": task.template_key,
                "status": task.status,
                "due_at": task.due_at,
                "channel": task.channel,
                "feedback_type": task.feedback_type,
                "summary": task.summary[:500],
                **extra,
            },
        )

    def _logged_event(
        self,
        activity: ActivityRow,
        record_type: RecordType,
        record_id: int,
        kind: EventKind,
        at: datetime,
    ) -> None:
        # The shape of activities._log_on_records.
        self.event(
            record_type,
            record_id,
            kind,
            at,
            activity.owner_id,
            {
                "activity": activity.pk,
                "kind": activity.kind,
                "subject": activity.subject,
                "status": activity.status,
                "channel": activity.channel,
                "direction": activity.direction,
                "feedback_type": activity.feedback_type,
                "new_information": activity.new_information,
                "summary": activity.summary[:500],
                "due_at": activity.due_at,
                "occurred_at": activity.occurred_at,
            },
        )

    def logged(
        self, record: Lead | Deal, start: datetime, end: datetime, count: int, *, inbound: bool
    ) -> list[ActivityRow]:
        """`count` contacts and notes logged on the record between `start` and `end`."""
        rng = self.rng
        record_type = RecordType.LEAD if isinstance(record, Lead) else RecordType.DEAL
        made = []
        for _n in range(count):
            kind, channel, _w = rng.choices(LOGGED, weights=[w for *_x, w in LOGGED])[0]
            at = start + (end - start) * rng.random()
            if kind == ActivityKind.NOTE:
                direction = Direction.INTERNAL
            elif inbound and rng.random() < 0.3:
                direction = Direction.INBOUND
            else:
                direction = Direction.OUTBOUND
            activity = ActivityRow(
                id=self.take_id(Activity),
                kind=kind,
                status=ActivityStatus.DONE,
                subject=str(ActivityKind(kind).label),
                channel=channel,
                direction=direction,
                summary="Discussed specification, quantity and lead time; next step agreed.",
                feedback_type=rng.choice(
                    ["", FeedbackType.INTERESTED, FeedbackType.PRICE_OBJECTION]
                ),
                occurred_at=at,
                completed_at=at,
                owner_id=record.owner_id,
                created_at=at,
                updated_at=at,
                created_by_id=record.owner_id,
                **({"lead_id": record.pk} if isinstance(record, Lead) else {"deal_id": record.pk}),
            )
            self.rows.activities.append(activity)
            self._logged_event(activity, record_type, record.pk, EventKind.ACTIVITY_CREATED, at)
            made.append(activity)
        return made

    def stage_change(
        self,
        record: Lead | Deal,
        *,
        at: datetime,
        transition: str,
        old: tuple[str, str, datetime],
        new: tuple[str, str],
        actor_id: int | None,
    ) -> None:
        """STAGE_LEFT and STAGE_ENTERED, shaped as transitions._enter_stage writes them."""
        record_type = RecordType.LEAD if isinstance(record, Lead) else RecordType.DEAL
        stage, substate, entered = old
        common = {"pipeline": record.pipeline, "transition": transition}
        days = round((at - entered).total_seconds() / 86400, 4)
        self.event(
            record_type,
            record.pk,
            EventKind.STAGE_LEFT,
            at,
            actor_id,
            {**common, "stage": stage, "substate": substate, "to": new[0], "days_in_stage": days},
        )
        self.event(
            record_type,
            record.pk,
            EventKind.STAGE_ENTERED,
            at,
            actor_id,
            {**common, "stage": new[0], "substate": new[1], "from": stage},
        )

    def created(self, record_type: RecordType, record: Any, fields: Sequence[str]) -> None:
        """The CREATED event with the snapshot logging.log_created takes (non-empty values)."""
        snapshot = {}
        for name in fields:
            value = getattr(record, name)
            if value not in (None, ""):
                snapshot[name] = value
        if getattr(record, "custom", None):
            snapshot["custom"] = dict(record.custom)  # the story changes it later
        self.event(
            record_type,
            record.pk,
            EventKind.CREATED,
            record.created_at,
            record.created_by_id,
            snapshot,
        )

    def started(self, record: Lead | Deal) -> None:
        """The STAGE_ENTERED of the first stage (staged.start_process)."""
        record_type = RecordType.LEAD if isinstance(record, Lead) else RecordType.DEAL
        self.event(
            record_type,
            record.pk,
            EventKind.STAGE_ENTERED,
            record.created_at,
            record.created_by_id,
            {"pipeline": record.pipeline, "stage": "new", "substate": ""},
        )

    def idle_timers(self, record: Lead | Deal, obj: ObjectDef, since: datetime) -> None:
        """The idle clock of an open stage, restarted by the record's last change (S-23)."""
        record_type = RecordType.LEAD if isinstance(record, Lead) else RecordType.DEAL
        pipeline = obj.pipeline(record.pipeline)
        assert pipeline is not None
        stage = pipeline.stage(record.stage)
        if stage is None or stage.kind != "open":
            return
        for rule in obj.rules_on(TriggerKind.IDLE_IN_STAGE):
            if rule.trigger.stages and stage.key not in rule.trigger.stages:
                continue
            limit = rule.trigger.after or (f"{stage.idle_days} days" if stage.idle_days else None)
            if limit is None:
                continue
            due = self.calendar.add(since, parse_duration(limit), rule.trigger.clock.value)
            self.timer(
                TimerKind.IDLE,
                record_type,
                record.pk,
                due,
                since,
                key=rule.key,
                data={"rule": rule.key, "stage": stage.key, "limit": limit, "since": since},
            )

    def date_timers(self, deal: Deal, obj: ObjectDef) -> None:
        """Rules waiting for a date field (the quote expiring, 2 days before its validity ends)."""
        for rule in obj.rules_on(TriggerKind.DATE_REACHED):
            value = (deal.custom or {}).get(rule.trigger.field or "")
            if not isinstance(value, str):
                continue
            opens = (
                self.calendar.spec.working_hours[0][0]
                if self.calendar.spec.working_hours
                else time(0)
            )
            due = datetime.combine(date.fromisoformat(value), opens, tzinfo=self.calendar.zone)
            if rule.trigger.before is not None:
                due -= parse_duration(rule.trigger.before)
            elif rule.trigger.after is not None:
                due += parse_duration(rule.trigger.after)
            self.timer(
                TimerKind.DATE,
                RecordType.DEAL,
                deal.pk,
                due.astimezone(UTC),
                deal.updated_at,
                key=rule.key,
                data={"rule": rule.key},
            )
