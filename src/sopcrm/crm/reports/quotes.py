"""Quote outcomes (S-35, S-41; docs/reports.md, "Quote outcomes").

The population is the deals whose first entry into the playbook's `reports.quote_stage` falls in
the period. Of them: the share now won, now lost, still open; and the follow-ups after the quote
(completed outbound customer contacts from the first quote to the close, or to now while
open), on average per quoted deal and separately for the won and the lost.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Min
from django.utils.translation import get_language

from sopcrm.core.clock import now
from sopcrm.core.models import Event, EventKind, User
from sopcrm.playbook.schema import ObjectType, StageKind
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..records import selectors
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
    deals = report_deals(user, filters)
    # First quoted in the period: entered the stage in it, and never before it. Subqueries, so
    # a busy month does not become a long list of ids.
    quote_entries = Event.objects.filter(
        record_type=ObjectType.DEAL.value,
        kind=EventKind.STAGE_ENTERED,
        data__stage=quote_stage,
        record_id__in=deals.values("pk"),
    )
    quoted_deals = deals.filter(
        pk__in=quote_entries.filter(filters.in_period("occurred_at")).values("record_id")
    ).exclude(pk__in=quote_entries.filter(occurred_at__lt=filters.start_at).values("record_id"))
    first_quotes: dict[int, datetime] = dict(
        quote_entries.filter(record_id__in=quoted_deals.values("pk"))
        .order_by()
        .values("record_id")
        .annotate(first=Min("occurred_at"))
        .values_list("record_id", "first")
    )
    if not first_quotes:
        return _empty(filters, configured=True, stage=quote_stage, label=label)

    at = now()
    kinds: dict[int, StageKind | None] = {}
    until: dict[int, datetime] = {}  # the end of each deal's follow-up window
    for pk, version_id, pipeline_key, stage_key, closed_at in quoted_deals.order_by().values_list(
        "pk", "playbook_version_id", "pipeline", "stage", "closed_at"
    ):
        if pk not in first_quotes:  # quoted between the two reads
            continue
        kinds[pk] = _kind(version_id, pipeline_key, stage_key)
        is_closed = kinds[pk] in (StageKind.WON, StageKind.LOST)
        until[pk] = closed_at if is_closed and closed_at is not None else at
    contacts = dict.fromkeys(kinds, 0)
    for deal_id, occurred_at in (
        selectors.activity_list(user)
        .filter(
            customer_contact(),
            deal_id__in=quoted_deals.values("pk"),
            occurred_at__gte=filters.start_at,  # no deal here was quoted earlier
        )
        .order_by()
        .values_list("deal_id", "occurred_at")
    ):
        in_window = (
            deal_id in until
            and occurred_at is not None
            and first_quotes[deal_id] <= occurred_at <= until[deal_id]
        )
        if in_window:
            contacts[deal_id] += 1

    won = [pk for pk, kind in kinds.items() if kind == StageKind.WON]
    lost = [pk for pk, kind in kinds.items() if kind == StageKind.LOST]
    quoted = len(kinds)
    return QuotesReport(
        filters=filters,
        configured=True,
        quote_stage=quote_stage,
        quote_stage_label=label,
        quoted=quoted,
        won=Share(len(won), quoted),
        lost=Share(len(lost), quoted),
        open=Share(quoted - len(won) - len(lost), quoted),
        follow_ups=FollowUps(sum(contacts.values()), quoted),
        follow_ups_won=FollowUps(sum(contacts[pk] for pk in won), len(won)),
        follow_ups_lost=FollowUps(sum(contacts[pk] for pk in lost), len(lost)),
    )


def _empty(
    filters: ReportFilter, *, configured: bool, stage: str | None, label: str
) -> QuotesReport:
    none = Share(0, 0)
    return QuotesReport(
        filters, configured, stage, label, 0, none, none, none, *(FollowUps(0, 0),) * 3
    )


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
