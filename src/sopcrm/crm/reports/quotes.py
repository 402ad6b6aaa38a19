"""Quote outcomes (S-35, S-41; docs/reports.md, "Quote outcomes").

The population is the deals whose first entry into the playbook's `reports.quote_stage` falls in
the period. Of them: the share now won, now lost, still open; and the follow-ups after the quote
(completed outbound customer contacts from the first quote to the close, or to now while
open), on average per quoted deal and separately for the won and the lost.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import get_language

from sopcrm.core.clock import now
from sopcrm.core.models import Event, EventKind, User
from sopcrm.playbook.schema import ObjectType, StageKind
from sopcrm.process.models import PlaybookVersion
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..records.models import Activity
from .filters import ReportFilter, customer_contact, report_deals, reports_def
from .stats import Share, average


@dataclass(frozen=True)
class FollowUps:
    """`contacts` follow-ups over `deals` deals."""

    contacts: int
    deals: int

    @property
    def average(self) -> float | None:
        return average(self.contacts, self.deals)

    def as_dict(self) -> dict[str, Any]:
        return {"average": self.average, "contacts": self.contacts, "deals": self.deals}


@dataclass(frozen=True)
class QuotesReport:
    filters: ReportFilter
    configured: bool  # False: the playbook names no quote stage
    quote_stage: str | None
    quote_stage_label: str
    quoted: int  # deals first quoted in the period
    won: Share  # of them now in a won stage
    lost: Share  # ... in a lost stage
    open: Share  # ... still open
    follow_ups: FollowUps  # after the quote, over all the quoted deals
    follow_ups_won: FollowUps
    follow_ups_lost: FollowUps

    def as_dict(self) -> dict[str, Any]:
        return {
            "configured": self.configured,
            "quote_stage": self.quote_stage,
            "quote_stage_label": self.quote_stage_label,
            "quoted": self.quoted,
            "won": self.won.as_dict(),
            "lost": self.lost.as_dict(),
            "open": self.open.as_dict(),
            "follow_ups": self.follow_ups.as_dict(),
            "follow_ups_won": self.follow_ups_won.as_dict(),
            "follow_ups_lost": self.follow_ups_lost.as_dict(),
            "filters": self.filters.as_params(),
        }


def quotes_report(user: User, filters: ReportFilter) -> QuotesReport:
    """What became of the deals quoted in the period (see the module)."""
    quote_stage = reports_def(ObjectType.DEAL).quote_stage
    if quote_stage is None:
        return _empty(filters, configured=False, stage=None, label="")
    label = _stage_label(quote_stage)
    at = now()
    quotes = Event.objects.filter(
        record_type=ObjectType.DEAL.value, kind=EventKind.STAGE_ENTERED, data__stage=quote_stage
    )
    # First quoted in the period: the period's quote entries with no earlier one (one probe of
    # the record's event index each), rather than every quote entry before the period.
    firsts = quotes.filter(filters.in_period("occurred_at")).exclude(
        Exists(
            quotes.filter(record_id=OuterRef("record_id"), occurred_at__lt=OuterRef("occurred_at"))
        )
    )
    quoted_at = Subquery(
        quotes.filter(record_id=OuterRef("pk")).order_by("occurred_at").values("occurred_at")[:1]
    )

    def follow_ups(until: Any) -> Subquery:
        # The deals are visible, so every activity about them is (selectors.activity_list).
        return Subquery(
            Activity.objects.filter(
                customer_contact(),
                deal_id=OuterRef("pk"),
                occurred_at__gte=OuterRef("quoted_at"),
                occurred_at__lte=until,
            )
            .order_by()
            .values("deal_id")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        )

    # The window ends at the close for a deal closed (in a won or lost stage of its playbook
    # version, with a close time), else now: one count per deal, the kinds written out per
    # playbook version (a handful) and looked up again for the few groups the counts come in.
    groups = (
        report_deals(user, filters)
        .filter(pk__in=firsts.values("record_id"))
        .annotate(quoted_at=quoted_at)
        .annotate(
            contacts=Coalesce(
                Case(
                    When(
                        _in_closed_stage() & Q(closed_at__isnull=False),
                        then=follow_ups(OuterRef("closed_at")),
                    ),
                    default=follow_ups(Value(at)),
                ),
                0,
            )
        )
        .order_by()
        .values("playbook_version_id", "pipeline", "stage")
        .annotate(n=Count("pk"), follow_ups=Sum("contacts"))
    )
    deals: dict[StageKind | None, int] = defaultdict(int)
    contacts: dict[StageKind | None, int] = defaultdict(int)
    for row in groups:
        kind = _kind(row["playbook_version_id"], row["pipeline"], row["stage"])
        deals[kind] += row["n"]
        contacts[kind] += row["follow_ups"] or 0
    quoted = sum(deals.values())
    if not quoted:
        return _empty(filters, configured=True, stage=quote_stage, label=label)
    won, lost = deals[StageKind.WON], deals[StageKind.LOST]
    return QuotesReport(
        filters=filters,
        configured=True,
        quote_stage=quote_stage,
        quote_stage_label=label,
        quoted=quoted,
        won=Share(won, quoted),
        lost=Share(lost, quoted),
        open=Share(quoted - won - lost, quoted),
        follow_ups=FollowUps(sum(contacts.values()), quoted),
        follow_ups_won=FollowUps(contacts[StageKind.WON], won),
        follow_ups_lost=FollowUps(contacts[StageKind.LOST], lost),
    )


def _empty(
    filters: ReportFilter, *, configured: bool, stage: str | None, label: str
) -> QuotesReport:
    none = Share(0, 0)
    return QuotesReport(
        filters, configured, stage, label, 0, none, none, none, *(FollowUps(0, 0),) * 3
    )


def _in_closed_stage() -> Q:
    """A deal is in a won or lost stage of its pipeline under the playbook version it runs
    under (what `_kind` says, as a filter)."""
    condition = Q(pk__in=[])
    for version_id in PlaybookVersion.objects.values_list("pk", flat=True):
        for pipeline in playbook_for_version(version_id).object(ObjectType.DEAL).pipelines:
            closing = [s.key for s in pipeline.stages if s.kind in (StageKind.WON, StageKind.LOST)]
            if closing:
                condition |= Q(
                    playbook_version_id=version_id, pipeline=pipeline.key, stage__in=closing
                )
    return condition


def _kind(version_id: UUID, pipeline_key: str, stage_key: str) -> StageKind | None:
    """The kind of a deal's stage under the playbook version it runs under (a closed deal
    stays on the version it closed under)."""
    pipeline = playbook_for_version(version_id).object(ObjectType.DEAL).pipeline(pipeline_key)
    stage = pipeline.stage(stage_key) if pipeline else None
    return stage.kind if stage else None


def _stage_label(key: str) -> str:
    """The quote stage's label in the active playbook (the first pipeline that has it)."""
    obj = playbook_for_version(active_version().pk).object(ObjectType.DEAL)
    for pipeline in obj.pipelines:
        stage = pipeline.stage(key)
        if stage is not None:
            return stage.label.for_language(get_language())
    return key
