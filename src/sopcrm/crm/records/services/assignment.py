"""Who gets a new lead (S-26): the first assignment rule of the playbook whose condition holds,
and in its pool the next member in turn (round robin), in proportion to the weights (smooth
weighted round robin), or with the fewest open leads. Members who are inactive, away or at their
daily cap are skipped. The rule's turn row is locked while choosing, so leads arriving at the
same moment take successive turns."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from sopcrm.core.clock import now
from sopcrm.core.models import Role, Team, User
from sopcrm.playbook.schema import AssignmentRule, AssignMethod, ObjectType, StageKind
from sopcrm.process import engine

from ..models import AssignmentTurn, Lead
from .playbook_context import field_values, object_of, today_of


@dataclass(frozen=True)
class Assignment:
    owner: User | None  # None: the unassigned queue
    rule: str  # the rule that chose, or "" when none matched


def _members(rule: AssignmentRule) -> list[tuple[User, int]]:
    """(user, weight) of the pool, in the order written; a team means its active reps by id."""
    if rule.team is not None:
        team = Team.objects.filter(name=rule.team).first()
        reps = User.objects.filter(team=team, role=Role.REP).order_by("pk") if team else []
        return [(u, 1) for u in reps]
    if not rule.pool:  # no pool and no team: every rep
        return [(u, 1) for u in User.objects.filter(role=Role.REP).order_by("pk")]
    users = {u.username: u for u in User.objects.filter(username__in=[m.user for m in rule.pool])}
    return [(users[m.user], m.weight) for m in rule.pool if m.user in users]


def _day_start(at: datetime) -> datetime:
    local = timezone.localtime(at)
    return timezone.make_aware(datetime.combine(local.date(), time(0)))


def _available(rule: AssignmentRule, members: list[tuple[User, int]]) -> list[tuple[User, int]]:
    today = timezone.localdate(now())
    present = [
        (u, w) for u, w in members if u.is_active and (u.away_until is None or u.away_until < today)
    ]
    if rule.daily_cap is None or not present:
        return present
    start = _day_start(now())
    counts = dict(
        Lead.objects.filter(
            assignment_rule=rule.key,
            assigned_at__gte=start,
            assigned_at__lt=start + timedelta(days=1),
            owner__in=[u for u, _w in present],
        )
        .values("owner")
        .annotate(n=Count("id"))
        .values_list("owner", "n")
    )
    return [(u, w) for u, w in present if counts.get(u.pk, 0) < rule.daily_cap]


def _open_leads(users: list[User], lead: Lead) -> dict[int, int]:
    obj = object_of(lead)
    closed = [s.key for p in obj.pipelines for s in p.stages if s.kind != StageKind.OPEN]
    rows = (
        Lead.objects.filter(owner__in=users)
        .filter(~Q(stage__in=closed))
        .values("owner")
        .annotate(n=Count("id"))
        .values_list("owner", "n")
    )
    return dict(rows)


def _choose(
    rule: AssignmentRule, turn: AssignmentTurn, members: list[tuple[User, int]], lead: Lead
) -> User:
    order = [u for u, _w in members]
    if rule.method == AssignMethod.WEIGHTED:
        # Smooth weighted round robin (as nginx): add each weight, take the highest, subtract
        # the total from it. Weights 3:1 give A A B A, A A B A...
        total = sum(w for _u, w in members)
        current = {int(k): v for k, v in (turn.weights or {}).items()}
        for user, weight in members:
            current[user.pk] = current.get(user.pk, 0) + weight
        chosen = max(order, key=lambda u: (current[u.pk], -order.index(u)))
        current[chosen.pk] -= total
        turn.weights = {str(k): v for k, v in current.items() if k in {u.pk for u in order}}
        return chosen
    if rule.method == AssignMethod.LEAST_OPEN:
        loads = _open_leads(order, lead)
        return min(order, key=lambda u: (loads.get(u.pk, 0), _after(order, turn, u)))
    return min(order, key=lambda u: _after(order, turn, u))


def _after(order: list[User], turn: AssignmentTurn, user: User) -> int:
    """How many places after the last assigned member `user` comes (round-robin distance)."""
    ids = [u.pk for u in order]
    last = ids.index(turn.last_user_id) if turn.last_user_id in ids else -1
    return (ids.index(user.pk) - last - 1) % len(ids)


def _locked_turn(rule_key: str) -> AssignmentTurn:
    # Almost always there: lock it straight away, without the savepoint of the first time.
    turn = AssignmentTurn.objects.select_for_update().filter(rule_key=rule_key).first()
    if turn is not None:
        return turn
    try:
        with transaction.atomic():  # the first lead of a rule creates its row, once
            AssignmentTurn.objects.get_or_create(rule_key=rule_key)
    except IntegrityError:
        pass
    return AssignmentTurn.objects.select_for_update().get(rule_key=rule_key)


def assignment_choose(lead: Lead) -> Assignment:
    """The owner the playbook's rules give a new lead (not saved: the caller does)."""
    definition = object_of(lead).assignment
    if definition is None:
        return Assignment(None, "")
    values = field_values(lead, ObjectType.LEAD)
    today = today_of(lead)
    for rule in definition.rules:
        if rule.when is not None and not engine.condition(rule.when).evaluate(values, today=today):
            continue
        turn = _locked_turn(rule.key)
        members = _available(rule, _members(rule))
        if not members:
            return Assignment(None, rule.key)  # the rule matched; nobody free: the queue
        chosen = _choose(rule, turn, members, lead)
        turn.last_user_id = chosen.pk
        turn.save(update_fields=["last_user_id", "weights"])
        return Assignment(chosen, rule.key)
    return Assignment(None, "")
