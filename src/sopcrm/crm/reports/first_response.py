"""First response (S-17, S-41): how many new inquiries were answered within the response promise,
how long answers took, and whose answers were late (docs/reports.md, "First response").

The population is the response clocks (`reports.response_sla` of the lead object) of the leads
received in the period. A clock counts for the owner it had when it stopped, the rep who had to
answer: the clock's own `owner`, which follows the lead only while the clock runs. So the `rep`
and `team` filters, and who the viewer may see, apply to the clock's owner; the other filters
(source, country, ...) to the lead.

The other per-rep reports reuse `response_clocks` and `response_figures`, so a rep's response
time and SLA hit rate are the same figures everywhere.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db.models import OuterRef, Q, Subquery
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


@dataclass(frozen=True)
class ResponseClock:
    """One clock of the population: whose it is, the source of its lead, its outcome, and the
    response time in calendar hours when it was answered."""

    owner_id: int | None
    source: str
    outcome: Outcome
    hours: float | None


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


def response_figures(clocks: Iterable[ResponseClock]) -> ResponseFigures:
    """The counts, the rate's parts and the response-time median and p90 of `clocks`."""
    counts: dict[Outcome, int] = defaultdict(int)
    hours: list[float] = []
    for clock in clocks:
        counts[clock.outcome] += 1
        if clock.hours is not None:
            hours.append(clock.hours)
    return ResponseFigures(
        in_time=counts[Outcome.IN_TIME],
        late=counts[Outcome.LATE],
        not_due=counts[Outcome.NOT_DUE],
        closed_early=counts[Outcome.CLOSED_EARLY],
        median_hours=rounded(percentile(hours, 50)),
        p90_hours=rounded(percentile(hours, 90)),
    )


def _outcome(state: str, due_at: datetime, ended_at: datetime | None, at: datetime) -> Outcome:
    if state == SlaState.MET:
        return Outcome.IN_TIME
    if state == SlaState.MISSED:
        return Outcome.LATE
    if state == SlaState.ENDED:
        # Closed without an answer: late if the target had passed by then, else left out.
        return Outcome.LATE if ended_at is not None and ended_at > due_at else Outcome.CLOSED_EARLY
    # Running: an answer right at the target would still be in time.
    return Outcome.LATE if due_at < at else Outcome.NOT_DUE


def response_sla() -> str | None:
    """The SLA the playbook names as the first-response clock of leads, if any."""
    return reports_def(ObjectType.LEAD).response_sla


def response_clocks(user: User, filters: ReportFilter) -> list[ResponseClock]:
    """The response clocks of the leads received in the period that `user` may see and the
    filters keep, each with its outcome as of now. Empty when the playbook names no clock."""
    sla = response_sla()
    if sla is None:
        return []
    # The lead decides source, country, pipeline and product line; the clock's owner decides
    # rep and team, and the viewer sees only the clocks of people they may see.
    leads = report_leads(user, replace(filters, team=None, rep=None))
    owners = owner_visibility(user)
    if filters.team is not None:
        owners &= Q(owner__team_id=filters.team)
    if filters.rep is not None:
        owners &= Q(owner_id=filters.rep)
    rows = (
        SlaClock.objects.filter(
            owners,
            filters.in_period("started_at"),
            record_type=RecordType.LEAD,
            sla=sla,
            record_id__in=leads.values("pk"),
        )
        .annotate(
            source=Subquery(Lead.objects.filter(pk=OuterRef("record_id")).values("source")[:1])
        )
        .values_list(
            "owner_id", "source", "state", "started_at", "due_at", "responded_at", "ended_at"
        )
    )
    at = now()
    clocks = []
    for owner_id, source, state, started_at, due_at, responded_at, ended_at in rows:
        hours = None
        if state in (SlaState.MET, SlaState.MISSED) and responded_at is not None:
            hours = (responded_at - started_at).total_seconds() / 3600
        clocks.append(
            ResponseClock(
                owner_id=owner_id,
                source=source or "",
                outcome=_outcome(state, due_at, ended_at, at),
                hours=hours,
            )
        )
    return clocks


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
    clocks = response_clocks(user, filters)
    by_owner: dict[int | None, list[ResponseClock]] = defaultdict(list)
    for clock in clocks:
        if clock.outcome != Outcome.CLOSED_EARLY:
            by_owner[clock.owner_id].append(clock)
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
        figures=response_figures(clocks),
        by_rep=rows,
    )
