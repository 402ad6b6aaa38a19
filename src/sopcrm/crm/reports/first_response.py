"""First response (S-17, S-41): how many new inquiries were answered within the response promise,
how long answers took, and whose answers were late (docs/reports.md, "First response").

The population is the response clocks (`reports.response_sla` of the lead object) of the leads
received in the period. A clock counts for the owner it had when it stopped, the rep who had to
answer: the clock's own `owner`, which follows the lead only while the clock runs. So the `rep`
and `team` filters, and who the viewer may see, apply to the clock's owner; the other filters
(source, country, ...) to the lead.

The other per-rep reports reuse `clock_tallies` and `response_figures`, so a rep's response
time and SLA hit rate are the same figures everywhere. The clocks are counted in SQL; only the
answered ones' response times come to Python, for the nearest-rank percentiles.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.models import RecordType, User
from sopcrm.core.visibility import owner_visibility
from sopcrm.playbook.schema import ObjectType

from ..records.models import Lead, SlaClock, SlaState
from .filters import ReportFilter, report_leads, reports_def
from .stats import Share, percentile, rounded


class Outcome(StrEnum):
    """What became of one response clock, as the report counts it."""

    IN_TIME = "in_time"  # answered at or before the target
    LATE = "late"  # answered after it, or the target passed without an answer
    NOT_DUE = "not_due"  # running, the target still ahead
    CLOSED_EARLY = "closed_early"  # closed before the target without an answer: left out


@dataclass
class ClockTally:
    """The clocks of a population, counted: how many had each outcome, and the response time in
    calendar hours of each answered one (for the median and p90)."""

    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    hours: list[float] = field(default_factory=list)

    def add(self, other: "ClockTally") -> None:
        for outcome, count in other.counts.items():
            self.counts[outcome] += count
        self.hours.extend(other.hours)


@dataclass(frozen=True)
class ResponseFigures:
    in_time: int
    late: int
    not_due: int
    closed_early: int
    median_hours: float | None
    p90_hours: float | None

    @property
    def clocks(self) -> int:
        """The clocks counted (those closed early without an answer are left out)."""
        return self.in_time + self.late + self.not_due

    @property
    def rate(self) -> Share:
        """The response rate: in time of (in time + late)."""
        return Share(self.in_time, self.in_time + self.late)


def response_figures(clocks: ClockTally) -> ResponseFigures:
    """The counts, the rate's parts and the response-time median and p90 of `clocks`."""
    return ResponseFigures(
        in_time=clocks.counts[Outcome.IN_TIME],
        late=clocks.counts[Outcome.LATE],
        not_due=clocks.counts[Outcome.NOT_DUE],
        closed_early=clocks.counts[Outcome.CLOSED_EARLY],
        median_hours=rounded(percentile(clocks.hours, 50)),
        p90_hours=rounded(percentile(clocks.hours, 90)),
    )


def _outcome(at: datetime) -> Case:
    """What became of a clock as of `at`, in SQL: met is in time and missed late; closed without
    an answer is late if the target had passed by then, else left out (closed early); running,
    late once the target has passed (an answer right at the target would still be in time)."""
    return Case(
        When(state=SlaState.MET, then=Value(Outcome.IN_TIME.value)),
        When(state=SlaState.MISSED, then=Value(Outcome.LATE.value)),
        When(
            state=SlaState.ENDED,
            then=Case(
                When(ended_at__gt=F("due_at"), then=Value(Outcome.LATE.value)),
                default=Value(Outcome.CLOSED_EARLY.value),
            ),
        ),
        When(due_at__lt=at, then=Value(Outcome.LATE.value)),
        default=Value(Outcome.NOT_DUE.value),
        output_field=CharField(),
    )


def response_sla() -> str | None:
    """The SLA the playbook names as the first-response clock of leads, if any."""
    return reports_def(ObjectType.LEAD).response_sla


Key = tuple[int | None, str]  # (owner id, lead source; "" when none or not asked for)


def _clocks(user: User, filters: ReportFilter) -> QuerySet[SlaClock] | None:
    """The response clocks of the leads received in the period that `user` may see and the
    filters keep; None when the playbook names no clock."""
    sla = response_sla()
    if sla is None:
        return None
    # The lead decides source, country, pipeline and product line; the clock's owner decides
    # rep and team, and the viewer sees only the clocks of people they may see.
    leads = report_leads(user, replace(filters, team=None, rep=None))
    owners = owner_visibility(user)
    if filters.team is not None:
        owners &= Q(owner__team_id=filters.team)
    if filters.rep is not None:
        owners &= Q(owner_id=filters.rep)
    return SlaClock.objects.filter(
        owners,
        filters.in_period("started_at"),
        record_type=RecordType.LEAD,
        sla=sla,
        record_id__in=leads.values("pk"),
    ).order_by()


def period_index(path: str, periods: Sequence[ReportFilter]) -> Case:
    """Which of `periods` (each a ReportFilter of its own period) the datetime `path` falls in,
    by its place in the list, as an SQL expression: a trend's points from one grouped query."""
    return Case(
        *(When(period.in_period(path), then=Value(i)) for i, period in enumerate(periods)),
        default=Value(None),
        output_field=IntegerField(),
    )


def response_rates(user: User, periods: Sequence[ReportFilter]) -> list[Share]:
    """The response rate of each of `periods` (consecutive, with the same filters), as
    `first_response_report` gives it for that period alone: one grouped query for them all."""
    rates = [Share(0, 0)] * len(periods)
    if not periods:
        return rates
    clocks = _clocks(user, periods[0].with_period(periods[0].start, periods[-1].end))
    if clocks is None:
        return rates
    in_time, counted = [0] * len(periods), [0] * len(periods)
    rows = (
        clocks.annotate(point=period_index("started_at", periods), outcome=_outcome(now()))
        .filter(outcome__in=(Outcome.IN_TIME.value, Outcome.LATE.value))
        .values("point", "outcome")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        if row["point"] is None:
            continue
        counted[row["point"]] += row["n"]
        if row["outcome"] == Outcome.IN_TIME.value:
            in_time[row["point"]] += row["n"]
    return [Share(part, whole) for part, whole in zip(in_time, counted, strict=True)]


def clock_tallies(
    user: User, filters: ReportFilter, *, by_source: bool = False
) -> dict[Key, ClockTally]:
    """The response clocks of the leads received in the period that `user` may see and the
    filters keep, counted by (owner, lead source) with their outcome as of now: two grouped
    queries (the outcomes; the answered clocks' response times). Without `by_source` every
    source is "", and the lead is not read per clock. Empty when the playbook names no clock."""
    clocks = _clocks(user, filters)
    if clocks is None:
        return {}
    source: Any = Value("")
    if by_source:
        source = Subquery(Lead.objects.filter(pk=OuterRef("record_id")).values("source")[:1])
    tallies: dict[Key, ClockTally] = defaultdict(ClockTally)
    counted = (
        clocks.annotate(source=source, outcome=_outcome(now()))
        .values("owner_id", "source", "outcome")
        .annotate(n=Count("pk"))
    )
    for row in counted:
        key = (row["owner_id"], row["source"] or "")
        tallies[key].counts[Outcome(row["outcome"])] += row["n"]
    answered = (
        clocks.filter(state__in=(SlaState.MET, SlaState.MISSED), responded_at__isnull=False)
        .annotate(
            source=source,
            took=ExpressionWrapper(F("responded_at") - F("started_at"), DurationField()),
        )
        .values_list("owner_id", "source", "took")
    )
    for owner_id, lead_source, took in answered:
        tallies[(owner_id, lead_source or "")].hours.append(took.total_seconds() / 3600)
    return tallies


def owner_names(owner_ids: Iterable[int | None]) -> dict[int | None, str]:
    """The display name of each owner (one query); records without an owner are "Unassigned"."""
    ids = {pk for pk in owner_ids if pk is not None}
    names: dict[int | None, str] = {user.pk: str(user) for user in User.objects.filter(pk__in=ids)}
    names[None] = _("Unassigned")
    return names


@dataclass(frozen=True)
class RepResponse:
    """One row of "breaches by rep": the clocks a rep had to answer."""

    user_id: int | None
    name: str
    figures: ResponseFigures

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "clocks": self.figures.clocks,
            "in_time": self.figures.in_time,
            "late": self.figures.late,
            "not_due": self.figures.not_due,
            "rate": self.figures.rate.as_dict(),
        }


@dataclass(frozen=True)
class FirstResponseReport:
    filters: ReportFilter
    configured: bool  # False: the playbook names no response clock (reports.response_sla)
    sla: str | None
    figures: ResponseFigures
    by_rep: list[RepResponse]

    def as_dict(self) -> dict[str, Any]:
        figures = self.figures
        return {
            "filters": self.filters.as_params(),
            "configured": self.configured,
            "sla": self.sla,
            "in_time": figures.in_time,
            "late": figures.late,
            "not_due": figures.not_due,
            "closed_early": figures.closed_early,
            "rate": figures.rate.as_dict(),
            "response_hours": {"median": figures.median_hours, "p90": figures.p90_hours},
            "by_rep": [row.as_dict() for row in self.by_rep],
        }


def first_response_report(user: User, filters: ReportFilter) -> FirstResponseReport:
    """The first-response figures of the period for what `user` may see."""
    sla = response_sla()
    by_owner: dict[int | None, ClockTally] = defaultdict(ClockTally)
    everyone = ClockTally()
    for (owner_id, _source), tally in clock_tallies(user, filters).items():
        everyone.add(tally)
        counted = replace(tally, counts={**tally.counts, Outcome.CLOSED_EARLY: 0})
        if any(counted.counts.values()):
            by_owner[owner_id].add(counted)
    names = owner_names(by_owner)
    rows = [
        RepResponse(user_id=owner_id, name=names[owner_id], figures=response_figures(owned))
        for owner_id, owned in by_owner.items()
    ]
    # Most late answers first: the list is where a manager starts the conversation.
    rows.sort(key=lambda row: (-row.figures.late, row.name.casefold(), row.user_id or 0))
    return FirstResponseReport(
        filters=filters,
        configured=sla is not None,
        sla=sla,
        figures=response_figures(everyone),
        by_rep=rows,
    )
