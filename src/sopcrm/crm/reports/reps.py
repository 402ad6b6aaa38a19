"""Per rep, per team, per source (S-41): one row per rep with the figures a sales review goes
through (docs/reports.md, "Per rep, per team, per source").

Each column is counted once by (owner, lead source) with grouped queries, then folded into the
rows asked for: by rep (the owner), by team (the owner's team) or by lead source (of the lead, or
of the lead a deal came from). Records count for their current owner; response clocks for the
owner the clock had when it stopped and tasks for their owner, as in the first-response and
tasks reports, whose code computes those columns here.

`closed_deals` serves the best-practice report too.
"""

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext as _

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import Event, EventKind, RecordType, Role, Team, User
from sopcrm.core.users import is_system_user
from sopcrm.playbook.schema import ObjectType, StageKind
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..records.models import (
    Activity,
    Deal,
    Lead,
    LeadSource,
)
from .filters import ReportFilter, customer_contact, report_deals, report_leads
from .first_response import ClockTally, clock_tallies, owner_names, response_figures
from .stats import Share, average
from .tasks import TaskCount, task_counts

GROUPINGS = ("rep", "team", "source")


def closing_stages(filters: ReportFilter) -> tuple[Q, Q]:
    """Conditions on a `stage_entered` event's data: it entered a won or lost stage, and it
    entered a won stage, of the filtered deal pipeline (else of any deal pipeline) of the active
    playbook."""
    obj = playbook_for_version(active_version().pk).object(ObjectType.DEAL)
    pipelines = [p for p in obj.pipelines if not filters.pipeline or p.key == filters.pipeline]
    closed, won = Q(pk__in=[]), Q(pk__in=[])
    for pipeline in pipelines:
        closing = [s.key for s in pipeline.stages if s.kind != StageKind.OPEN]
        winning = [s.key for s in pipeline.stages if s.kind == StageKind.WON]
        closed |= Q(data__pipeline=pipeline.key, data__stage__in=closing)
        won |= Q(data__pipeline=pipeline.key, data__stage__in=winning)
    return closed, won


@dataclass(frozen=True)
class ClosedDeal:
    """A deal `user` may see that entered a won or lost stage in the period."""

    pk: int
    owner_id: int | None
    source: str  # its lead's source ("" when none, or not asked for)
    created_at: datetime
    closed_on: datetime  # its last close in the period
    won_on: datetime | None  # its first entry into a won stage in the period; None: not won
    follow_ups: int  # completed outbound customer contacts on it up to `closed_on`

    @property
    def won(self) -> bool:
        return self.won_on is not None


def closing_events(filters: ReportFilter) -> QuerySet[Event]:
    """The period's entries into a won or lost stage of a deal pipeline (found through the
    (kind, occurred_at) index of the log)."""
    closed, _won = closing_stages(filters)
    return Event.objects.filter(
        closed,
        filters.in_period("occurred_at"),
        kind=EventKind.STAGE_ENTERED,
        record_type=RecordType.DEAL,
    )


def closed_deals(user: User, filters: ReportFilter, *, by_source: bool = False) -> list[ClosedDeal]:
    """The deals `user` may see and the filters keep that entered a won or lost stage in the
    period, each once: whether it entered a won stage in the period (and when first), its last
    close in the period, and its follow-ups up to that close (contacts after the close do not
    change a past period's figure).

    Three reads, each one pass: the period's closing entries grouped by deal, the visible deals
    among them, and their contacts before the period's end, compared with each deal's close
    here. Subqueries per deal into the log made SQLite scan the whole period for every deal."""
    _closed, won = closing_stages(filters)
    closes = closing_events(filters)
    moments = {
        record_id: (closed_on, won_on)
        for record_id, closed_on, won_on in closes.order_by()
        .values("record_id")
        .annotate(
            closed_on=Max("occurred_at"),
            won_on=Min(Case(When(won, then=F("occurred_at")), output_field=DateTimeField())),
        )
        .values_list("record_id", "closed_on", "won_on")
    }
    deals = report_deals(user, filters).filter(pk__in=closes.values("record_id"))
    # The deals are visible, so every activity about them is (selectors.activity_list).
    follow_ups: dict[int, int] = defaultdict(int)
    for deal_id, occurred_at in (
        Activity.objects.filter(
            customer_contact(),
            deal_id__in=deals.values("pk"),
            occurred_at__lt=filters.end_at,
        )
        .order_by()
        .values_list("deal_id", "occurred_at")
    ):
        if deal_id in moments and occurred_at <= moments[deal_id][0]:
            follow_ups[deal_id] += 1
    rows = []
    for pk, owner_id, created_at, source in deals.order_by().values_list(
        "pk", "owner_id", "created_at", "lead__source" if by_source else Value("")
    ):
        if pk not in moments:  # closed between the reads
            continue
        closed_on, won_on = moments[pk]
        rows.append(
            ClosedDeal(pk, owner_id, source or "", created_at, closed_on, won_on, follow_ups[pk])
        )
    return rows


Key = tuple[int | None, str]  # (owner id, lead source; "" when none)


@dataclass
class Tally:
    """The figures of one (owner, source), or of a row once folded."""

    leads: int = 0
    closed: int = 0
    won: int = 0
    follow_ups: int = 0
    clocks: ClockTally = field(default_factory=ClockTally)
    tasks: TaskCount = field(default_factory=TaskCount)
    exceptions: int = 0

    def add(self, other: "Tally") -> None:
        self.leads += other.leads
        self.closed += other.closed
        self.won += other.won
        self.follow_ups += other.follow_ups
        self.clocks.add(other.clocks)
        self.tasks.add(other.tasks)
        self.exceptions += other.exceptions


def _exceptions(user: User, filters: ReportFilter, *, by_source: bool) -> dict[Key, int]:
    """Stage moves outside the allowed transitions (S-16) in the period, by the current owner and
    the lead source of the record moved."""
    counts: dict[Key, int] = defaultdict(int)
    sources: list[tuple[type[Lead] | type[Deal], QuerySet[Any], str]] = [
        (Lead, report_leads(user, filters), "source"),
        (Deal, report_deals(user, filters), "lead__source"),
    ]
    for model, records, source_path in sources:
        record = model.objects.filter(pk=OuterRef("record_id"))
        rows = (
            Event.objects.filter(
                filters.in_period("occurred_at"),
                kind=EventKind.STAGE_LEFT,
                record_type=RecordType.LEAD if model is Lead else RecordType.DEAL,
                record_id__in=records.values("pk"),
                data__has_key="exception",
            )
            .exclude(data__has_key="merged_into")  # a merge closing a lead is no exception
            .annotate(
                record_owner=Subquery(record.values("owner_id")[:1]),
                record_source=(
                    Subquery(record.values(source_path)[:1]) if by_source else Value("")
                ),
            )
            .values("record_owner", "record_source")
            .annotate(count=Count("pk"))
        )
        for row in rows:
            counts[(row["record_owner"], row["record_source"] or "")] += row["count"]
    return counts


def tallies(user: User, filters: ReportFilter, *, by_source: bool = True) -> dict[Key, Tally]:
    """Every column by (owner, lead source), from grouped queries. Without `by_source` every
    source is "" and no record's lead source is read (the rows by rep and by team)."""
    tally: dict[Key, Tally] = defaultdict(Tally)
    leads = (
        report_leads(user, filters)
        .filter(filters.in_period("received_at"))
        .order_by()
        .values("owner_id", lead_source=F("source") if by_source else Value(""))
        .annotate(count=Count("pk"))
    )
    for row in leads:
        tally[(row["owner_id"], row["lead_source"] or "")].leads += row["count"]
    for deal in closed_deals(user, filters, by_source=by_source):
        item = tally[(deal.owner_id, deal.source)]
        item.closed += 1
        item.won += deal.won
        item.follow_ups += deal.follow_ups
    for key, clocks in clock_tallies(user, filters, by_source=by_source).items():
        tally[key].clocks.add(clocks)
    for key, count in task_counts(user, filters, by_source=by_source).items():
        tally[key].tasks.add(count)
    for key, exceptions in _exceptions(user, filters, by_source=by_source).items():
        tally[key].exceptions += exceptions
    return tally


@dataclass(frozen=True)
class RepsRow:
    """One row: a rep (key: user id), a team (team id) or a lead source (its key)."""

    key: int | str | None
    name: str
    tally: Tally

    @property
    def win_rate(self) -> Share:
        return Share(self.tally.won, self.tally.closed)

    @property
    def follow_ups_per_deal(self) -> float | None:
        return average(self.tally.follow_ups, self.tally.closed)

    def as_dict(self) -> dict[str, Any]:
        tally = self.tally
        response = response_figures(tally.clocks)
        return {
            "key": self.key,
            "name": self.name,
            "leads": tally.leads,
            "deals_closed": tally.closed,
            "won": tally.won,
            "win_rate": self.win_rate.as_dict(),
            "follow_ups": tally.follow_ups,
            "follow_ups_per_deal": self.follow_ups_per_deal,
            "response_hours": response.median_hours,
            "sla_rate": response.rate.as_dict(),
            "tasks_on_time": tally.tasks.on_time_rate.as_dict(),
            "exceptions": tally.exceptions,
        }


@dataclass(frozen=True)
class RepsReport:
    filters: ReportFilter
    by: str
    rows: list[RepsRow]
    total: RepsRow

    def as_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters.as_params(),
            "by": self.by,
            "rows": [row.as_dict() for row in self.rows],
            "total": self.total.as_dict(),
        }


def visible_reps(user: User, filters: ReportFilter) -> QuerySet[User]:
    """The active reps whose rows `user` sees: a rep themselves, a manager their team's, an admin
    everyone's; narrowed by the `team` and `rep` filters."""
    reps = User.objects.filter(is_active=True, role=Role.REP)
    if not (user.is_admin or is_system_user(user)):
        if not user.is_active:
            reps = reps.none()
        elif user.is_manager and user.team_id is not None:
            reps = reps.filter(team_id=user.team_id)
        else:
            reps = reps.filter(pk=user.pk)
    if filters.team is not None:
        reps = reps.filter(team_id=filters.team)
    if filters.rep is not None:
        reps = reps.filter(pk=filters.rep)
    return reps


def _fold(tally: dict[Key, Tally], group: Callable[[Key], Hashable]) -> dict[Any, Tally]:
    rows: dict[Any, Tally] = defaultdict(Tally)
    for key, item in tally.items():
        rows[group(key)].add(item)
    return rows


def reps_report(user: User, filters: ReportFilter, *, by: str = "rep") -> RepsReport:
    """The per-rep table (or per team, or per lead source) of the period for what `user` may
    see. Every rep `user` may see has a row, with or without figures; owners outside those reps
    with figures (a manager's own deals, unassigned leads) get a row too, so the rows add up to
    the total."""
    if by not in GROUPINGS:
        raise InvalidInput.single(
            "by", "invalid", _("Choose one of: %(options)s.") % {"options": ", ".join(GROUPINGS)}
        )
    tally = tallies(user, filters, by_source=by == "source")
    total = Tally()
    for item in tally.values():
        total.add(item)
    reps = {rep.pk: rep for rep in visible_reps(user, filters)}
    others = {owner_id for owner_id, _source in tally if owner_id is not None} - set(reps)
    team_of: dict[int | None, int | None] = {rep.pk: rep.team_id for rep in reps.values()}
    team_of.update(User.objects.filter(pk__in=others).values_list("pk", "team_id"))
    folded: dict[Any, Tally]
    names: dict[Any, str]
    if by == "rep":
        folded = _fold(tally, lambda key: key[0])
        for rep_id in reps:
            folded.setdefault(rep_id, Tally())
        names = owner_names(folded)
    elif by == "team":
        folded = _fold(tally, lambda key: team_of.get(key[0]))
        for rep in reps.values():
            folded.setdefault(rep.team_id, Tally())
        names = dict(Team.objects.filter(pk__in=[k for k in folded if k]).values_list("pk", "name"))
        names[None] = _("No team")
    else:
        folded = _fold(tally, lambda key: key[1])
        names = {str(value): str(label) for value, label in LeadSource.choices}
        names[""] = _("No lead source")
    rows = [
        RepsRow(key=key, name=names.get(key, str(key)), tally=item) for key, item in folded.items()
    ]
    if by == "source":
        order = [value for value, _label in LeadSource.choices]
        rows.sort(key=lambda row: order.index(row.key) if row.key in order else len(order))
    else:
        # Rows without a rep or team ("Unassigned", "No team") come last.
        rows.sort(key=lambda row: (row.key is None, row.name.casefold(), row.key or 0))
    return RepsReport(
        filters=filters, by=by, rows=rows, total=RepsRow(key=None, name=_("Total"), tally=total)
    )
