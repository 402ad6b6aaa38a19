"""Best practice (S-44): what the reps who win most do differently, beside the team
(docs/reports.md, "Best practice").

The top three reps by win rate, among those with at least `MIN_CLOSED` deals closed in the
period, each beside the team (everyone the viewer may see that the filters keep): follow-ups per
closed deal and per week of the deals' life, the share of each channel in their outbound
contacts of the period, and the median days their won deals spent in each stage; then the
paths of the deals won fastest. Deals count for their current owner, contacts for the person
who made them.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
)
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sopcrm.core.models import Event, EventKind, RecordType, User
from sopcrm.playbook.schema import ObjectType, StageKind
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..records.models import Channel, Deal
from .filters import ReportFilter, customer_contact, report_deals
from .first_response import owner_names
from .reps import closed_deals, closing_events, closing_stages
from .stats import Share, percentile, rounded
from .tasks import report_activities

MIN_CLOSED = 5  # fewer deals closed say nothing about a rep's way of selling
TOP_REPS = 3
FASTEST_WINS = 5
WEEK_SECONDS = 7 * 86400


@dataclass(frozen=True)
class ChannelShare:
    channel: str  # a Channel key; "" when the contact recorded none
    label: str
    share: Share

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "label": self.label, **self.share.as_dict()}


@dataclass(frozen=True)
class StageDays:
    stage: str
    label: str
    median_days: float | None  # of the won deals that stayed in the stage
    deals: int  # how many of them did

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "label": self.label,
            "median_days": self.median_days,
            "deals": self.deals,
        }


@dataclass(frozen=True)
class Practice:
    """The figures of one rep, or of the team."""

    deals_closed: int
    won: int
    follow_ups: int  # on the closed deals, up to their close
    deal_weeks: float  # the closed deals' life, created to closed, in weeks
    channels: list[ChannelShare]
    stage_days: list[StageDays]

    @property
    def win_rate(self) -> Share:
        return Share(self.won, self.deals_closed)

    @property
    def follow_ups_per_deal(self) -> float | None:
        return None if self.deals_closed == 0 else round(self.follow_ups / self.deals_closed, 2)

    @property
    def follow_ups_per_week(self) -> float | None:
        return None if self.deal_weeks <= 0 else round(self.follow_ups / self.deal_weeks, 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deals_closed": self.deals_closed,
            "won": self.won,
            "win_rate": self.win_rate.as_dict(),
            "follow_ups": self.follow_ups,
            "follow_ups_per_deal": self.follow_ups_per_deal,
            "deal_weeks": round(self.deal_weeks, 1),
            "follow_ups_per_week": self.follow_ups_per_week,
            "channels": [channel.as_dict() for channel in self.channels],
            "stage_days": [stage.as_dict() for stage in self.stage_days],
        }


@dataclass(frozen=True)
class TopRep:
    user_id: int
    name: str
    practice: Practice

    def as_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "name": self.name, **self.practice.as_dict()}


@dataclass(frozen=True)
class PathStep:
    stage: str
    label: str
    entered_at: datetime
    days: float | None  # calendar days until the next stage; None for the won stage

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "label": self.label,
            "entered_at": timezone.localtime(self.entered_at).isoformat(),
            "days": self.days,
        }


@dataclass(frozen=True)
class FastWin:
    deal_id: int
    title: str
    owner_id: int | None
    owner: str
    days_to_win: float  # calendar days from created to won
    path: list[PathStep]

    def as_dict(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "title": self.title,
            "owner_id": self.owner_id,
            "owner": self.owner,
            "days_to_win": self.days_to_win,
            "path": [step.as_dict() for step in self.path],
        }


@dataclass(frozen=True)
class BestPracticeReport:
    filters: ReportFilter
    min_closed: int
    top: list[TopRep]
    team: Practice
    fastest: list[FastWin]

    def as_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters.as_params(),
            "min_closed": self.min_closed,
            "top": [rep.as_dict() for rep in self.top],
            "team": self.team.as_dict(),
            "fastest": [win.as_dict() for win in self.fastest],
        }


def _stage_labels() -> tuple[dict[str, str], set[str]]:
    """Each deal stage's label in the current language, in pipeline order; and the keys of the
    open stages."""
    obj = playbook_for_version(active_version().pk).object(ObjectType.DEAL)
    language = get_language()
    labels: dict[str, str] = {}
    open_stages: set[str] = set()
    for pipeline in obj.pipelines:
        for stage in pipeline.stages:
            labels.setdefault(stage.key, stage.label.for_language(language))
            if stage.kind == StageKind.OPEN:
                open_stages.add(stage.key)
    return labels, open_stages


@dataclass
class _Deals:
    """What the closed deals of one owner add up to."""

    closed: int = 0
    won: int = 0
    follow_ups: int = 0
    seconds: float = 0.0


def _channels(counts: dict[str, int], labels: dict[str, str]) -> list[ChannelShare]:
    whole = sum(counts.values())
    return [
        ChannelShare(channel=key, label=labels.get(key, key), share=Share(count, whole))
        for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _stage_days(
    days_by_deal: Iterable[dict[str, float]], labels: dict[str, str]
) -> list[StageDays]:
    values: dict[str, list[float]] = defaultdict(list)
    for stays in days_by_deal:
        for stage, days in stays.items():
            values[stage].append(days)
    order = list(labels)
    return [
        StageDays(
            stage=stage,
            label=labels.get(stage, stage),
            median_days=rounded(percentile(values[stage], 50)),
            deals=len(values[stage]),
        )
        for stage in sorted(values, key=lambda s: order.index(s) if s in order else len(order))
    ]


def best_practice_report(user: User, filters: ReportFilter) -> BestPracticeReport:
    """The best-practice comparison of the period for what `user` may see."""
    deals = closed_deals(user, filters)
    by_owner: dict[int | None, _Deals] = defaultdict(_Deals)
    won_owner: dict[int, int | None] = {}  # won deal id -> owner id
    won_closed_on: dict[int, datetime] = {}
    to_win: list[tuple[timedelta, int, int | None, datetime, datetime]] = []
    for deal in deals:
        owned = by_owner[deal.owner_id]
        owned.closed += 1
        owned.won += int(deal.won)
        owned.follow_ups += deal.follow_ups
        owned.seconds += max((deal.closed_on - deal.created_at).total_seconds(), 0.0)
        if deal.won_on is not None:
            won_owner[deal.pk] = deal.owner_id
            won_closed_on[deal.pk] = deal.closed_on
            to_win.append(
                (
                    deal.won_on - deal.created_at,
                    deal.pk,
                    deal.owner_id,
                    deal.created_at,
                    deal.won_on,
                )
            )

    # Days in each open stage of the won deals, a stage's stays summed per deal, up to the win:
    # what happens to a deal after its period does not change the period's figure.
    labels, open_stages = _stage_labels()
    _closed, won = closing_stages(filters)
    stays: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for record_id, data, occurred_at in Event.objects.filter(
        kind=EventKind.STAGE_LEFT,
        record_type=RecordType.DEAL,
        record_id__in=report_deals(user, filters)
        .filter(pk__in=closing_events(filters).filter(won).values("record_id"))
        .values("pk"),
        occurred_at__lt=filters.end_at,
    ).values_list("record_id", "data", "occurred_at"):
        stage = str(data.get("stage", ""))
        if (
            stage in open_stages
            and record_id in won_closed_on
            and occurred_at <= won_closed_on[record_id]
        ):
            stays[record_id][stage] += float(data.get("days_in_stage") or 0)

    # The outbound customer contacts each person made in the period, by channel.
    channel_counts: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        report_activities(user, filters)
        .filter(customer_contact(), filters.in_period("occurred_at"))
        .values("owner_id", "channel")
        .annotate(count=Count("pk"))
    ):
        channel_counts[row["owner_id"]][row["channel"]] += row["count"]

    channel_labels = {str(value): str(label) for value, label in Channel.choices}
    channel_labels[""] = _("Not recorded")

    def practice(owners: set[int | None]) -> Practice:
        owned = [by_owner[o] for o in owners if o in by_owner]
        channels: dict[str, int] = defaultdict(int)
        for owner in owners:
            for channel, count in channel_counts.get(owner, {}).items():
                channels[channel] += count
        return Practice(
            deals_closed=sum(d.closed for d in owned),
            won=sum(d.won for d in owned),
            follow_ups=sum(d.follow_ups for d in owned),
            deal_weeks=sum(d.seconds for d in owned) / WEEK_SECONDS,
            channels=_channels(channels, channel_labels),
            stage_days=_stage_days(
                (stays[pk] for pk, owner in won_owner.items() if owner in owners), labels
            ),
        )

    candidates = [
        owner_id
        for owner_id, owned in by_owner.items()
        if owner_id is not None and owned.closed >= MIN_CLOSED
    ]
    names = owner_names([*candidates, *by_owner])
    candidates.sort(
        key=lambda o: (
            -by_owner[o].won / by_owner[o].closed,
            -by_owner[o].won,
            names[o].casefold(),
            o,
        )
    )
    top = [
        TopRep(user_id=owner_id, name=names[owner_id], practice=practice({owner_id}))
        for owner_id in candidates[:TOP_REPS]
    ]
    everyone = set(by_owner) | set(channel_counts)
    return BestPracticeReport(
        filters=filters,
        min_closed=MIN_CLOSED,
        top=top,
        team=practice(everyone),
        fastest=_fastest_wins(sorted(to_win)[:FASTEST_WINS], labels, names),
    )


def _fastest_wins(
    wins_by_speed: list[tuple[timedelta, int, int | None, datetime, datetime]],
    labels: dict[str, str],
    names: dict[int | None, str],
) -> list[FastWin]:
    """The deals won fastest in the period (created to won; the won deals' (time to win, id,
    owner, created, won) in that order, read with the closed deals rather than by reading
    them again), with the stages they went through."""
    titles = dict(
        Deal.objects.filter(pk__in=[row[1] for row in wins_by_speed]).values_list("pk", "title")
    )
    fastest = [
        (pk, titles.get(pk, ""), owner_id, created_at, won_on)
        for _took, pk, owner_id, created_at, won_on in wins_by_speed
    ]
    entered: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for record_id, data, occurred_at in (
        Event.objects.filter(
            kind=EventKind.STAGE_ENTERED,
            record_type=RecordType.DEAL,
            record_id__in=[row[0] for row in fastest],
        )
        .order_by("occurred_at", "pk")
        .values_list("record_id", "data", "occurred_at")
    ):
        entered[record_id].append((str(data.get("stage", "")), occurred_at))
    wins = []
    for pk, title, owner_id, created_at, won_on in fastest:
        steps = [(stage, at) for stage, at in entered[pk] if at <= won_on]
        path = [
            PathStep(
                stage=stage,
                label=labels.get(stage, stage),
                entered_at=at,
                days=round((steps[i + 1][1] - at).total_seconds() / 86400, 1)
                if i + 1 < len(steps)
                else None,
            )
            for i, (stage, at) in enumerate(steps)
        ]
        wins.append(
            FastWin(
                deal_id=pk,
                title=title,
                owner_id=owner_id,
                owner=names[owner_id],
                days_to_win=round((won_on - created_at).total_seconds() / 86400, 1),
                path=path,
            )
        )
    return wins
