"""The generator's building blocks: the rows of a batch (`Rows`) and `World`, which holds what
every story shares (the clock, the playbook, the people, the next ids) and writes the rows the
services would have written for a task, a logged contact, a stage change, a created record or a
pending timer, in the same shapes (see crm/records/services/logging.py, process_tasks.py,
activities.py and transitions.py). Nothing is saved here; bench/stories.py tells what happened
to each record and bench/generate.py inserts the rows in bulk."""

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Profile:
    """How much of each record's story the generator writes. Every profile writes the facts the
    reports read: records, stage entered and left (with calendar and business days), response
    clocks, tasks with their due and completion times, logged contacts, lost deals' reasons.

    `full` also writes each activity's own events (created, completed, cancelled: what a
    record's timeline shows), the snapshots of accounts and contacts, and every repeat of a
    repeating task (a lost deal's quarterly re-touch for two years): about 29 events per deal.
    `lean` writes about 60 % of the rows, for a million deals in minutes (the reports
    benchmark): the activities without their events, no account or contact snapshots, a
    repeating task once, and no pending timers (what the worker would fire next)."""

    key: str
    activity_events: bool
    account_events: bool
    repeats: int | None  # times a repeating task is created (None: as long as it repeats)
    timers: bool


PROFILES = {
    "full": Profile("full", activity_events=True, account_events=True, repeats=None, timers=True),
    "lean": Profile("lean", activity_events=False, account_events=False, repeats=1, timers=False),
}


class BusinessDays:
    """The `business_days` of a stay in a stage: the time between two moments that falls on
    working days, in days with 4 decimals (BusinessCalendar.working_days_between, S-23). The
    same sums, in the same order, as that method (tests/bench/test_reports_bench.py checks
    they agree), with whole days counted from a table of running totals instead of one day
    at a time: 5x faster, which is 90 seconds of a million deals' generation."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.zone = calendar.zone
        self._first = self._last = date(2000, 1, 1)
        self._before: dict[date, int] = {self._first: 0}  # working days in [_first, day)

    def _working_before(self, day: date) -> int:
        while day < self._first:  # extend the table a year back: renumber from the new first
            earlier = self._first - timedelta(days=366)
            shift = sum(
                self.calendar.is_working_day(earlier + timedelta(days=n))
                for n in range((self._first - earlier).days)
            )
            self._before = {d: n + shift for d, n in self._before.items()}
            running, self._first = 0, earlier
            for n in range(366):
                self._before[earlier + timedelta(days=n)] = running
                running += self.calendar.is_working_day(earlier + timedelta(days=n))
        while day > self._last:
            running = self._before[self._last] + self.calendar.is_working_day(self._last)
            self._last += timedelta(days=1)
            self._before[self._last] = running
        return self._before[day]

    def between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        begin, finish = start.astimezone(self.zone), end.astimezone(self.zone)
        first, last = begin.date(), finish.date()
        working = self.calendar.is_working_day
        if first == last:
            total = finish - begin if working(first) else timedelta(0)
        else:
            # Datetimes of one tzinfo subtract on the wall clock, as the calendar's method does.
            total = timedelta(0)
            if working(first):
                total += self._midnight(first + timedelta(days=1)) - begin
            whole = self._working_before(last) - self._working_before(first + timedelta(days=1))
            total += timedelta(days=whole)
            if working(last):
                total += finish - self._midnight(last)
        return round(total / timedelta(days=1), 4)

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone)


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
        managers: dict[int, int] | None = None,
        profile: Profile = PROFILES["full"],
    ) -> None:
        self.rng, self.at, self.version_id = rng, at, version_id
        self.lead_obj, self.deal_obj, self.calendar = lead_obj, deal_obj, calendar
        self.reps, self.rep_weights = list(reps), list(rep_weights)
        self.automation_id, self.language = automation_id, language
        self.next_ids = next_ids
        self.managers = managers or {}  # team id -> its manager's id (who authorises exceptions)
        self.team_of = {rep.pk: rep.team_id for rep in reps}
        self.profile = profile
        self.rows = Rows()
        self.customers: dict[int, list[Customer]] = {rep.pk: [] for rep in reps}
        self.serial = 0  # numbers names, emails and phones so they are unique
        self.business_days = BusinessDays(calendar)
        self._templates: dict[tuple[int, str], tuple[TaskTemplate, str]] = {}
        # What the checklist sets depends on a few values only: evaluated once per combination.
        self._qualified: dict[tuple[int, tuple[str, ...], Any], dict[str, Any]] = {}

    def template(self, obj: ObjectDef, key: str) -> tuple[TaskTemplate, str]:
        """The playbook's task template `key` of `obj` and its title in the generator's
        language (looked up once: every deal asks for a dozen)."""
        found = self._templates.get((id(obj), key))
        if found is None:
            template = obj.task(key)
            assert template is not None, key
            found = self._templates[(id(obj), key)] = (
                template,
                template.title.for_language(self.language),
            )
        return found

    def take_rows(self) -> Rows:
        """The rows made since the last call, to insert; the next ones go to a new batch."""
        rows, self.rows = self.rows, Rows()
        return rows

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

    def repeats(self) -> Iterator[int]:
        """The turns of a repeating task (a re-touch, a dormant touch): as many as the profile
        allows; the story stops earlier when a turn is still open."""
        return (
            itertools.count() if self.profile.repeats is None else iter(range(self.profile.repeats))
        )

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
        q = obj.qualification
        assert q is not None
        strength = custom.get(q.grade.strength) if q.grade is not None else None
        memo = (id(obj), tuple(custom.get(q.field) or ()), strength)
        values = self._qualified.get(memo)
        if values is None:
            evaluation = qualification_evaluate(obj, custom)
            assert evaluation is not None
            values = self._qualified[memo] = evaluation.values
        merged = dict(custom)
        for key, value in values.items():
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
        if due_at <= self.at or not self.profile.timers:
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
            if not self.profile.activity_events:
                return task
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
        if not self.profile.activity_events:
            return
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
        if not self.profile.activity_events:
            return
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
        transition: str | None,
        old: tuple[str, str, datetime],
        new: tuple[str, str],
        actor_id: int | None,
        exception: str | None = None,
    ) -> None:
        """STAGE_LEFT and STAGE_ENTERED, shaped as transitions._enter_stage writes them; a
        manager's move outside the transitions (S-16) has no transition and an `exception`."""
        record_type = RecordType.LEAD if isinstance(record, Lead) else RecordType.DEAL
        stage, substate, entered = old
        common: dict[str, Any] = {"pipeline": record.pipeline}
        if transition is not None:
            common["transition"] = transition
        if exception is not None:
            common["exception"] = exception
        days = round((at - entered).total_seconds() / 86400, 4)
        self.event(
            record_type,
            record.pk,
            EventKind.STAGE_LEFT,
            at,
            actor_id,
            {
                **common,
                "stage": stage,
                "substate": substate,
                "to": new[0],
                "days_in_stage": days,
                "business_days": self.business_days.between(entered, at),
            },
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
        if not self.profile.account_events and record_type in (
            RecordType.ACCOUNT,
            RecordType.CONTACT,
        ):
            return
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
