"""Demo data: an export sales team with eight weeks of work behind it, created through the same
services as real use (so the playbook, permissions, event log, response clocks and timers apply
to it too).

The history is written as it would have been written: every step runs inside
`as_of(moment)` (core/clock.py), so the services record that moment (created_at, stage events,
response clocks, due times, timers). Each buyer's deal was created on its own day of the last
eight weeks and moved along its path one to five working days at a time: the open deals that got
furthest are the oldest, the won and the lost deal closed in the last days (so the dashboards'
default period, the current month, has them). Playbook tasks were done on time, late or not at
all; inquiries arrived over the weeks and were answered in time or late, and the newest still
wait. The report dashboards of a fresh demo therefore show stays in stages, weekly trends, wins
and losses. Timers whose moment has passed (an overdue task, an idle deal, an unanswered
inquiry) fire when the worker starts, as they would have then.

Loading is idempotent: the data is created once, in one transaction, and skipped when the demo
users exist already. It is reproducible: every record's story draws from its own random
generator, derived in a fixed order from the seed, so the same seed gives the same records and
the same story; the history ends at the moment of loading, so its dates move with the day.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.db import transaction

from sopcrm.core.calendar import BusinessCalendar, Clock
from sopcrm.core.clock import as_of, now
from sopcrm.core.models import RecordType, Role, User
from sopcrm.core.users import team_create, user_create
from sopcrm.crm.messaging.services.signatures import signature_create
from sopcrm.crm.records.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Channel,
    Deal,
    Direction,
    FeedbackType,
    Lead,
    LeadSource,
    NewInformation,
    SlaClock,
)
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import activity_complete, activity_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.process.engine import calendar_for
from sopcrm.process.playbooks import active_version, playbook_for_version

DEMO_PASSWORD = "sopcrm-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    name: str


DEMO_LOGINS = (
    DemoLogin("admin", Role.ADMIN, "系统管理员"),
    DemoLogin("wang", Role.MANAGER, "王经理"),
    DemoLogin("li", Role.REP, "李娜"),
    DemoLogin("zhang", Role.REP, "张伟"),
    DemoLogin("chen", Role.REP, "陈静"),
)

# (company, website, country, industry, contact, job title, email local part, phone)
BUYERS = [
    (
        "Hoffmann Industrietechnik GmbH",
        "hoffmann-it.de",
        "DE",
        "Industrial equipment",
        "Jonas Hoffmann",
        "Purchasing Manager",
        "j.hoffmann",
        "+49 30 901820",
    ),
    (
        "Bright Home Supplies LLC",
        "brighthomesupplies.com",
        "US",
        "Retail",
        "Emily Carter",
        "Sourcing Director",
        "emily",
        "+1 212 555 0143",
    ),
    (
        "Distribuidora Andina S.A.",
        "andina.com.co",
        "CO",
        "Distribution",
        "Camila Rojas",
        "Gerente de Compras",
        "crojas",
        "+57 601 5550199",
    ),
    (
        "Saigon Build Materials JSC",
        "saigonbuild.vn",
        "VN",
        "Construction",
        "Nguyen Van An",
        "General Director",
        "an.nguyen",
        "+84 28 3822 1234",
    ),
    (
        "Al Noor Trading FZE",
        "alnoor-trading.ae",
        "AE",
        "Trading",
        "Omar Haddad",
        "Owner",
        "omar",
        "+971 4 555 0182",
    ),
    (
        "Nordic Marine Parts AB",
        "nordicmarine.se",
        "SE",
        "Marine",
        "Erik Lindqvist",
        "Technical Buyer",
        "erik.lindqvist",
        "+46 8 555 012 34",
    ),
    (
        "Casa Verde Importaciones",
        "casaverde.mx",
        "MX",
        "Home & garden",
        "Lucía Hernández",
        "Directora",
        "lucia",
        "+52 55 5555 0134",
    ),
    (
        "Pacific Tools Pty Ltd",
        "pacifictools.com.au",
        "AU",
        "Hardware",
        "Liam Walker",
        "Procurement Lead",
        "liam",
        "+61 2 5550 1234",
    ),
    (
        "Manila Agro Corp",
        "manilaagro.ph",
        "PH",
        "Agriculture",
        "Maria Santos",
        "Operations Manager",
        "msantos",
        "+63 2 8555 0123",
    ),
    (
        "Lagos Power Systems Ltd",
        "lagospower.ng",
        "NG",
        "Energy",
        "Chinedu Okafor",
        "Project Engineer",
        "chinedu",
        "+234 2033 55 0101",
    ),
    (
        "Istanbul Yapı Market",
        "yapimarket.com.tr",
        "TR",
        "Construction retail",
        "Ayşe Demir",
        "Satın Alma Müdürü",
        "ayse",
        "+90 212 555 01 23",
    ),
    (
        "Polski Instal Sp. z o.o.",
        "polskiinstal.pl",
        "PL",
        "Plumbing",
        "Piotr Nowak",
        "Kierownik Zakupów",
        "p.nowak",
        "+48 22 555 01 23",
    ),
]

INQUIRIES = [
    ("Stainless ball valves DN50, 2,000 pcs, CE required", "ball valves", 2000),
    ("Looking for solar street lights 60W, price for 500 units FOB Ningbo", "solar lights", 500),
    ("Need quotation for PVC pipes 110mm, 3 containers", "PVC pipes", 3),
    ("Interested in your LED panel 600x600, samples first", "LED panels", 1000),
    ("Please send catalogue and MOQ for garden hose reels", "hose reels", 800),
    ("Request price for brass fittings, ISO 228 thread", "brass fittings", 5000),
]

SOURCES = [
    LeadSource.B2B_PLATFORM,
    LeadSource.WEBSITE_FORM,
    LeadSource.EMAIL,
    LeadSource.TRADE_SHOW,
    LeadSource.WHATSAPP,
    LeadSource.REFERRAL,
    LeadSource.SOCIAL,
]

# How far each demo deal has come along the export pipeline (S-04), as the transitions taken.
DEAL_PATHS = [
    [],
    ["contact"],
    ["contact", "confirm_requirements"],
    ["contact", "confirm_requirements", "send_quote"],
    ["contact", "confirm_requirements", "send_quote", "start_follow_up"],
    ["contact", "confirm_requirements", "send_quote", "start_follow_up", "win"],
    ["contact", "confirm_requirements", "send_quote", "lose"],
]
# The inquiry checklist of the export playbook (S-27): how many items each demo deal or lead has
# clear (the first n, core items first), and the buyer strength, so priorities and grades vary.
CHECKLIST = (
    "specification",
    "quantity",
    "lead_time",
    "certification",
    "material",
    "application",
    "target_price",
    "payment_terms",
    "packaging",
    "incoterm_port",
    "sample_needed",
    "decision_maker",
    "purchase_timing",
    "target_market",
    "quality_inspection",
    "customisation",
    "company_verified",
    "current_supplier",
)
CLEAR_COUNTS = (3, 7, 9, 12, 14, 18, 5)

# The deal views the manager shares with the team (S-45): (name, list, query). A view's name is
# the person's own text, never translated; the demo team works in Chinese with English
# customers, so the names carry both, like the team's name.
SHARED_VIEWS = (
    ("5天未联系 No contact for 5 days", "deals", "no_contact=5"),
    ("报价超过7天 Quoted more than 7 days ago", "deals", "stage=quoted&in_stage=7"),
)
STRENGTHS = ("strong", "medium", "price_only")


# -- the history --------------------------------------------------------------------------------

# The demo covers the last eight weeks: enough weeks for a trend, stays of days in every stage.
HISTORY_DAYS = 56
# How far apart (working days) a deal's steps are: the first contact within two days of the
# deal, each later step within a working week of the previous one.
STEP_GAPS = {"contact": (1, 2)}
DEFAULT_STEP_GAP = (1, 5)
# A deal that closed took its time (and so is one of the older deals): its later steps came four
# or five working days apart.
CLOSED_STEP_GAP = (4, 5)
# The deal whose quote carries a 25% discount: the manager finds it waiting for approval, asked
# for on the last working day, so the deal is one of the newer ones.
APPROVAL_INDEX = 3
# The dashboards open on the current month: the won and the lost deal took their last step on
# one of the last few working days (planned back from there, each step again some working days
# after the previous one), so the month has a win, a loss and their reasons to show.
RECENT_LAST_STEP = {"win": 3, "lose": 6}
# Inquiries: how many arrived over the eight weeks, the share answered after the response target
# (the rest in time), and the newest ones, still waiting for an answer (hours before now).
LEAD_COUNT = 32
LATE_SHARE = 0.3
WAITING_HOURS = (50.0, 7.0, 0.75)
# What becomes of a playbook task that falls due during a stay: done on time, done late, or not
# done (left open and overdue, or cancelled when the deal moves on), by these shares.
ON_TIME_SHARE, LATE_TASK_SHARE = 0.6, 0.28
# Tasks the demo does not do by hand: the first contact is done by the "contact" transition.
DONE_BY_TRANSITION = ("first_contact",)
# What a rep writes when completing each playbook task (summary, channel).
TASK_OUTCOMES: dict[str, tuple[str, str]] = {
    "quote_confirmation": (
        "Customer confirmed the quote arrived; comparing it with two other offers.",
        Channel.EMAIL,
    ),
    "opportunity_assessment": (
        "A real project: budget approved, decision expected within the month.",
        Channel.PHONE,
    ),
    "quote_check_14": (
        "Went through the quote with the buyer: our price is within 5% of the others.",
        Channel.PHONE,
    ),
    "chase_1": ("Customer received the quote; asked for the CE certificate.", Channel.WHATSAPP),
    "chase_2": ("Sent a case study from a buyer in the same market.", Channel.EMAIL),
    "chase_3": ("Asked where the project stands; the decision is due next month.", Channel.EMAIL),
    "dormant_touch": ("Shared the new catalogue and our current lead time.", Channel.EMAIL),
    "order_confirmation": ("Proforma invoice signed; 30% deposit received.", Channel.EMAIL),
    "production_followup": (
        "Production on schedule; shipment booked for the agreed date.",
        Channel.WHATSAPP,
    ),
    "after_sales_followup": ("Goods arrived in good order; no complaints.", Channel.EMAIL),
    "review_request": (
        "Asked for a short review; the buyer agreed to a case study.",
        Channel.EMAIL,
    ),
}
# Follow-ups record the customer's reaction and what was new (S-15, S-21).
FOLLOW_UP_TASKS = ("chase_1", "chase_2", "chase_3", "dormant_touch")
FEEDBACK = (
    FeedbackType.INTERESTED,
    FeedbackType.COMPARING_SUPPLIERS,
    FeedbackType.PRICE_OBJECTION,
    FeedbackType.WAITING_FOR_BOSS,
    FeedbackType.NEEDS_SAMPLE,
)


@dataclass(frozen=True)
class _History:
    """The demo's weeks on the team's working calendar, ending at `end` (the moment of loading)."""

    end: datetime
    calendar: BusinessCalendar

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.calendar.zone).date()

    @property
    def today(self) -> date:
        return self.day_of(self.end)

    def office_time(self, day: date, rng: random.Random) -> datetime:
        """A moment of `day` between 09:00 and 17:30 in the team's time zone."""
        minute = rng.randrange(9 * 60, 17 * 60 + 30)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.calendar.zone)

    def later(self, moment: datetime, minutes: int) -> datetime:
        """`minutes` of working hours after `moment`: people answer in office hours."""
        return self.calendar.add(moment, timedelta(minutes=minutes), Clock.WORKING_HOURS)

    def working_days_before_today(self, after: date) -> list[date]:
        """The working days after `after` and before today, oldest first."""
        days, day = [], after + timedelta(days=1)
        while day < self.today:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def working_day_on_or_before(self, day: date) -> date:
        while not self.calendar.is_working_day(day):
            day -= timedelta(days=1)
        return day


class _Story:
    """One record's history: each step inside `as_of` its moment, every moment after the
    previous one and none after the end of the history (never in the future)."""

    def __init__(self, history: _History, rng: random.Random) -> None:
        self.history = history
        self.rng = rng
        self.cursor: datetime | None = None

    @contextmanager
    def at(self, moment: datetime) -> Iterator[datetime]:
        if self.cursor is not None and moment < self.cursor:
            raise ValueError(f"demo step at {moment} before the previous one at {self.cursor}")
        if moment > self.history.end:
            raise ValueError(f"demo step at {moment} after the end of the history")
        self.cursor = moment
        with as_of(moment) as at:
            yield at

    def before(self, until: datetime) -> datetime:
        """A moment after the last step and before `until`: a little later in office hours,
        or halfway there if office hours end after `until`."""
        assert self.cursor is not None
        moment = self.history.later(self.cursor, self.rng.randrange(20, 240))
        if moment >= until:
            moment = self.cursor + (until - self.cursor) / 2
        return moment


@dataclass(frozen=True)
class _DealPlan:
    """When a buyer's deal was created and when it took each transition of its path."""

    index: int
    path: list[str]
    created: datetime
    steps: list[datetime]
    rng: random.Random


@dataclass(frozen=True)
class _Demo:
    """What every record's story needs: the weeks it happens in and the team."""

    history: _History
    manager: User
    reps: list[User]


def _transition_data(
    key: str, rng: random.Random, text: str, amount: int, clear: int = 0, *, on: date
) -> dict[str, Any]:
    """What a rep fills in for each transition of the export playbook (S-09..S-11, S-13), for a
    record with `clear` checklist items clear (S-30, S-32), on the day `on` (team's time zone)."""
    if key == "contact":
        return {
            "first_contact_channel": rng.choice(["email", "phone", "whatsapp"]),
            "requirements_clear": rng.random() > 0.3,
            "expected_purchase_time": rng.choice(["next_month", "within_3_months", "unsure"]),
        }
    if key == "confirm_requirements":
        return {
            "target_price": {"amount": str(int(amount * 0.9)), "currency": "USD"},
            "lead_time_requirement": rng.choice(["30 days", "45 days", "before Chinese New Year"]),
            "certifications": rng.choice(["CE", "UL, FCC", "ISO 9001, RoHS"]),
            "competitor": rng.choice(["A Turkish maker", "Current supplier in Vietnam", "None"]),
        }
    if key == "send_quote":
        # Recorded the day the quote went out; valid for 30 days.
        return {
            "quote_date": on.isoformat(),
            "quote_valid_until": (on + timedelta(days=30)).isoformat(),
            "quote_channel": "email",
            "core_specifications": text,
            "quote_type": "precise" if clear >= 6 else "range_with_preconditions",
        }
    if key == "win":
        # With 3 or more items still unclear, the contract carries a change clause.
        return {"amount": str(amount), **({"change_clause": True} if clear < 16 else {})}
    if key == "lose":
        return {
            "lost_reasons": rng.sample(
                ["price_too_high", "lead_time_too_long", "stable_supplier"], 2
            ),
            "lost_note": "Buyer chose a local supplier with a shorter lead time.",
            "reactivation_likelihood": "within_6_12_months",
            "competitor": "Local supplier",
        }
    if key == "disqualify":
        return {"disqualify_reason": rng.choice(["spam", "not_our_product", "no_real_demand"])}
    return {}


def demo_loaded() -> bool:
    return User.objects.filter(username=DEMO_LOGINS[0].username).exists()


@transaction.atomic
def load_demo_data(seed: int = 7) -> bool:
    """Create the demo team and its eight weeks of records; False (and nothing written) if they
    exist already."""
    if demo_loaded():
        return False
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    calendar = calendar_for(playbook_for_version(active_version().pk).calendar)
    history = _History(end=now(), calendar=calendar)
    plans = _deal_plans(history, rng)
    lead_rngs = [_record_rng(rng) for _ in range(LEAD_COUNT)]
    # The team set itself up the day before its first deal.
    set_up = datetime.combine(
        history.day_of(plans[0].created) - timedelta(days=1), time(9), tzinfo=calendar.zone
    )
    team = team_create(name="外贸一部 Export Team 1")
    users = {
        login.username: user_create(
            username=login.username,
            password=DEMO_PASSWORD,
            role=login.role,
            team=None if login.role == Role.ADMIN else team,
            display_name=login.name,
            email=f"{login.username}@demo.sopcrm.local",
        )
        for login in DEMO_LOGINS
    }
    english_names = {"li": "Nina Li", "zhang": "Wei Zhang", "chen": "Jing Chen"}
    with as_of(set_up):
        for username, english in english_names.items():
            signature_create(
                actor=users[username],
                data={
                    "name": "English",
                    "body": f"Best regards,\n{english}\nExport Sales, Ningbo Valve & Fitting Co."
                    f"\nWhatsApp / WeChat: +86 138 0000 000{len(username)}",
                    "languages": ["en"],
                    "is_default": True,
                },
            )
        _share_views(users["wang"])
    demo = _Demo(history, users["wang"], [users["li"], users["zhang"], users["chen"]])
    for plan in plans:
        _deal_story(demo, plan)
    for index, lead_rng in enumerate(lead_rngs):
        _lead_story(demo, index, lead_rng)
    return True


def _record_rng(rng: random.Random) -> random.Random:
    """A record's own generator: how much of its story fits before now depends on the calendar,
    and must not shift the draws of the records after it."""
    return random.Random(rng.getrandbits(64))  # noqa: S311 - demo data, reproducible on purpose


# -- deals --------------------------------------------------------------------------------------


def _recent_last_step(index: int) -> int | None:
    """For a deal whose last step is recent: on which of the last working days it may fall."""
    if index == APPROVAL_INDEX:
        return 1
    path = DEAL_PATHS[index % len(DEAL_PATHS)]
    return RECENT_LAST_STEP.get(path[-1]) if path else None


def _gap(key: str, rng: random.Random, *, closed: bool = False) -> int:
    """Working days from the previous step to the step `key`."""
    low, high = STEP_GAPS.get(key, CLOSED_STEP_GAP if closed else DEFAULT_STEP_GAP)
    return rng.randint(low, high)


def _deal_plans(history: _History, rng: random.Random) -> list[_DealPlan]:
    """When each buyer's deal was created (each on its own working day) and took its steps;
    oldest first. Won, lost and waiting-for-approval deals are planned back from a recent last
    step; the open deals are spread over the eight weeks (from 55 to 2 days ago), the furthest
    along the oldest, and planned forward."""
    rngs = {index: _record_rng(rng) for index in range(len(BUYERS))}
    paths = {index: DEAL_PATHS[index % len(DEAL_PATHS)] for index in rngs}
    taken: set[date] = set()
    days: dict[int, list[date]] = {}
    for index, path in paths.items():
        within = _recent_last_step(index)
        if within is not None:
            days[index] = _days_back(history, path, rngs[index], within, taken)
            taken.add(days[index][0])
    spread = sorted(
        (index for index in paths if index not in days), key=lambda index: -len(paths[index])
    )
    first, last = HISTORY_DAYS - 1, 2
    spacing = (first - last) / (len(spread) - 1)
    # From the newest back, so a day taken pushes the older deals further back, never forward.
    for slot in reversed(range(len(spread))):
        index = spread[slot]
        day = history.working_day_on_or_before(
            history.today - timedelta(days=round(first - slot * spacing))
        )
        while day in taken:
            day = history.working_day_on_or_before(day - timedelta(days=1))
        taken.add(day)
        days[index] = [day]
    plans = []
    for index, path in paths.items():
        deal_rng = rngs[index]
        created = history.office_time(days[index][0], deal_rng)
        if len(days[index]) > 1:
            steps = [history.office_time(day, deal_rng) for day in days[index][1:]]
        else:
            steps = _steps_forward(history, created, path, deal_rng)
        plans.append(_DealPlan(index, path, created, steps, deal_rng))
    return sorted(plans, key=lambda plan: plan.created)


def _days_back(
    history: _History, path: list[str], rng: random.Random, within: int, taken: set[date]
) -> list[date]:
    """The day of creation and of each step of `path`, the last step on one of the last
    `within` working days before today and each step some working days after the previous one,
    counted back; the creation day moved further back if another deal has it."""
    days = history.working_days_before_today(history.today - timedelta(days=3 * HISTORY_DAYS))
    closed = path[-1] in RECENT_LAST_STEP
    positions = [len(days) - rng.randint(1, within)]
    for key in reversed(path[1:]):
        positions.insert(0, positions[0] - _gap(key, rng, closed=closed))
    created = positions[0] - _gap(path[0], rng, closed=closed)
    while days[created] in taken:
        created -= 1
    return [days[created], *(days[position] for position in positions)]


def _steps_forward(
    history: _History, created: datetime, path: list[str], rng: random.Random
) -> list[datetime]:
    """The moment of each step of `path`: some working days after the previous one (fewer when
    the working days left before today are few), in office hours, before today."""
    available = history.working_days_before_today(history.day_of(created))
    moments: list[datetime] = []
    position = -1  # in `available`, the day of the previous step (-1: the day of creation)
    for number, key in enumerate(path):
        left = len(path) - number
        room = len(available) - 1 - position
        position += max(1, min(_gap(key, rng), room // left))
        previous = moments[-1] if moments else created
        if position < len(available):
            moments.append(history.office_time(available[position], rng))
        else:
            # No working day left before today (a long holiday): today, before now.
            moments.append(previous + (history.end - previous) / (left + 1))
    return moments


def _deal_story(demo: _Demo, plan: _DealPlan) -> None:
    """A buyer's account, contact and deal, and the deal's way along its path."""
    history, rng, index = demo.history, plan.rng, plan.index
    company, site, country, industry, person, title, local, phone = BUYERS[index]
    rep = demo.reps[index % len(demo.reps)]
    story = _Story(history, rng)
    text, product, _quantity = INQUIRIES[index % len(INQUIRIES)]
    amount = rng.randrange(8, 180) * 1000
    # A won deal had every core item clear before the order (S-32).
    clear = max(CLEAR_COUNTS[index % len(CLEAR_COUNTS)], 14 if "win" in plan.path else 0)
    with story.at(plan.created):
        account = account_create(
            actor=rep,
            data={
                "name": company,
                "website": f"https://www.{site}",
                "country": country,
                "industry": industry,
                "phone": phone,
                "custom": {"customer_tier": rng.choice(["a", "b", "c"])},
            },
        )
        contact = contact_create(
            actor=rep,
            data={
                "name": person,
                "account": account.pk,
                "job_title": title,
                "email": f"{local}@{site}",
                "phone": phone,
                "country": country,
                "custom": {"decision_maker_role": rng.choice(["decision_maker", "influencer"])},
            },
        )
        deal = deal_create(
            actor=rep,
            data={
                "title": f"{company.split()[0]} – {product}",
                "account": account.pk,
                "contact": contact.pk,
                "amount": str(amount),
                "currency": "USD",
                "expected_close_on": (plan.created + timedelta(days=rng.randrange(10, 90))).date(),
                "custom": {
                    "product_line": rng.choice(["standard", "custom"]),
                    "region": _region(country),
                    "checklist": list(CHECKLIST[:clear]),
                    "buyer_strength": STRENGTHS[index % len(STRENGTHS)],
                },
            },
        )
    emailed = False
    for key, moment in zip(plan.path, plan.steps, strict=True):
        _work_tasks(story, deal, rep, until=moment)
        if key == "confirm_requirements":
            _log_email(story, deal, contact.pk, rep, text, until=moment)
            emailed = True
        if key == "send_quote":
            # One quote carries a 25% discount, so the manager finds it waiting for approval.
            discount = 25 if index == APPROVAL_INDEX else rng.choice([0, 5, 10])
            _price_quote(
                story, deal, demo.manager, rep, amount=amount, discount=discount, until=moment
            )
        with story.at(moment):
            data = _transition_data(key, rng, text, amount, clear, on=history.day_of(moment))
            result = record_transition(deal, transition=key, data=data, actor=rep)
        deal = result.record
        if not result.executed:
            break
    # The stay the deal is in now.
    if not emailed:
        _log_email(story, deal, contact.pk, rep, text, until=history.end)
    if deal.stage in {"contacted", "requirements_confirmed"}:
        _open_task(story, deal, rep, done=index % 4 == 0)
    _work_tasks(story, deal, rep, until=history.end)


def _price_quote(
    story: _Story,
    deal: Deal,
    manager: User,
    rep: User,
    *,
    amount: int,
    discount: int,
    until: datetime,
) -> None:
    """Before the quote: the manager's cost and floor price, then the rep's discount."""
    with story.at(story.before(until)):
        deal_update(
            deal,
            actor=manager,
            data={
                "custom": {
                    "cost_price": {"amount": str(int(amount * 0.62)), "currency": "USD"},
                    "floor_price": {"amount": str(int(amount * 0.8)), "currency": "USD"},
                }
            },
        )
    with story.at(story.before(until)):
        deal_update(deal, actor=rep, data={"custom": {"discount_percent": discount}})


def _log_email(
    story: _Story, deal: Deal, contact_id: int, rep: User, text: str, *, until: datetime
) -> None:
    with story.at(story.before(until)):
        activity_create(
            actor=rep,
            data={
                "kind": ActivityKind.EMAIL,
                "channel": Channel.EMAIL,
                "direction": Direction.OUTBOUND,
                "subject": f"Re: {text[:60]}",
                "summary": "Confirmed specification, quantity and target price; "
                "promised a detailed quote within 2 days.",
                "deal": deal.pk,
                "contact": contact_id,
            },
        )


def _open_task(story: _Story, deal: Deal, rep: User, *, done: bool) -> None:
    """The rep's own task on a deal before the quote, due in one to four days; `done`: done
    since (on time or late, if there was time)."""
    created = story.before(story.history.end)
    with story.at(created):
        task = activity_create(
            actor=rep,
            data={
                "kind": ActivityKind.TASK,
                "channel": Channel.EMAIL,
                "subject": "确认规格、数量和目标价",
                "due_at": created + timedelta(hours=story.rng.randrange(24, 96)),
                "deal": deal.pk,
            },
        )
    moment = _done_moment(story, task, until=story.history.end) if done else None
    if moment is not None:
        with story.at(moment):
            activity_complete(
                task,
                actor=rep,
                data={
                    "summary": "Customer is comparing two suppliers; sent our CE certificate.",
                    "channel": Channel.WHATSAPP,
                    "feedback_type": FeedbackType.COMPARING_SUPPLIERS,
                },
            )


def _work_tasks(story: _Story, deal: Deal, rep: User, *, until: datetime) -> None:
    """Do the deal's playbook tasks that fall due before `until` (its next step, or now), in
    the order they fall due: most on time, some late, a few not at all."""
    passed: set[int] = set()
    while True:
        task = (
            Activity.objects.filter(
                deal=deal, kind=ActivityKind.TASK, status=ActivityStatus.OPEN, due_at__lt=until
            )
            .exclude(template_key="")
            .exclude(template_key__in=DONE_BY_TRANSITION)
            .exclude(pk__in=passed)
            .order_by("due_at", "pk")
            .first()
        )
        if task is None:
            return
        moment = _done_moment(story, task, until=until)
        if moment is None:
            passed.add(task.pk)
            continue
        summary, channel = TASK_OUTCOMES.get(task.template_key, ("Done.", Channel.EMAIL))
        data: dict[str, Any] = {"summary": summary, "channel": channel}
        if task.template_key in FOLLOW_UP_TASKS:
            data["feedback_type"] = story.rng.choice(FEEDBACK)
            data["new_information"] = story.rng.choice(list(NewInformation))
        with story.at(moment):
            activity_complete(task, actor=rep, data=data)


def _done_moment(story: _Story, task: Activity, *, until: datetime) -> datetime | None:
    """When the rep completed `task`, before `until`: on time (in office hours, at most a day
    before it was due), late (some working hours after), or None (not done)."""
    assert story.cursor is not None and task.due_at is not None
    rng, history = story.rng, story.history
    roll = rng.random()
    start = max(story.cursor, task.created_at)
    if roll < ON_TIME_SHARE:
        moment = history.later(max(start, task.due_at - timedelta(days=1)), rng.randrange(20, 300))
        if moment > task.due_at:
            moment = task.due_at - timedelta(minutes=rng.randrange(5, 90))
    elif roll < ON_TIME_SHARE + LATE_TASK_SHARE:
        moment = history.later(max(start, task.due_at), rng.randrange(60, 16 * 60))
    else:
        return None
    return moment if start < moment < until else None


# -- leads --------------------------------------------------------------------------------------


def _received_at(history: _History, index: int, rng: random.Random) -> datetime:
    """When inquiry `index` arrived: spread over the eight weeks at any hour (buyers write
    from every time zone), oldest first; the last few within the last two days."""
    answered = LEAD_COUNT - len(WAITING_HOURS)
    if index >= answered:
        return history.end - timedelta(hours=WAITING_HOURS[index - answered])
    days_ago = (HISTORY_DAYS - 1) - index * (HISTORY_DAYS - 4) / (answered - 1)
    minute = rng.randrange(24 * 60)
    return datetime.combine(
        history.today - timedelta(days=round(days_ago)),
        time(minute // 60, minute % 60),
        tzinfo=history.calendar.zone,
    )


def _answered_at(story: _Story, due: datetime, *, late: bool) -> datetime:
    """The rep's first answer, in office hours: before the response target, or after it."""
    assert story.cursor is not None
    rng, history, received = story.rng, story.history, story.cursor
    if not late:
        moment = history.later(received, rng.randrange(15, 300))
        if moment > due:
            moment = due - timedelta(minutes=rng.randrange(5, 60))
        if moment > received:
            return moment
    return history.later(max(received, due), rng.randrange(60, 16 * 60))


def _lead_story(demo: _Demo, index: int, rng: random.Random) -> None:
    """An inquiry: received, then answered (in time or late) and taken further, unless it is
    one of the newest, still waiting."""
    history = demo.history
    rep = demo.reps[index % len(demo.reps)]
    text, product, quantity = INQUIRIES[(index + 2) % len(INQUIRIES)]
    company, _site, country, *_rest = BUYERS[(index * 5) % len(BUYERS)]
    first = ["Anna", "Carlos", "Mehmet", "Sara", "David", "Thu", "Ahmed", "Julia", "Ravi"]
    name = f"{first[index % len(first)]} {chr(65 + index % 26)}."
    story = _Story(history, rng)
    received = _received_at(history, index, rng)
    late = rng.random() < LATE_SHARE
    with story.at(received):
        lead = lead_create(
            actor=rep,
            data={
                "name": name,
                "company": f"{company.split()[0]} Group",
                "email": f"{name.split()[0].lower()}{index}@example-buyer.com",
                "country": country,
                "source": SOURCES[index % len(SOURCES)],
                "message": text,
                "received_at": received,
                "custom": {
                    "product_interest": product,
                    "quantity": quantity,
                    "region": _region(country),
                    "checklist": list(CHECKLIST[: CLEAR_COUNTS[index % len(CLEAR_COUNTS)]]),
                },
            },
        )
    if index >= LEAD_COUNT - len(WAITING_HOURS):
        return
    clock = SlaClock.objects.filter(record_type=RecordType.LEAD, record_id=lead.pk).first()
    due = clock.due_at if clock is not None else received + timedelta(hours=24)
    answered = _answered_at(story, due, late=late)
    if answered >= history.end:
        return  # answered late, so late that it is still waiting
    key = "disqualify" if index % 8 == 5 else "contact"
    with story.at(answered):
        data = _transition_data(key, rng, text, 0, on=history.day_of(answered))
        lead = record_transition(lead, transition=key, data=data, actor=rep).record
    if key == "disqualify":
        return
    if index % 3 == 1:
        _log_call(story, lead, rep)
    if index % 4 == 0:
        _qualify(story, lead, rep)


def _log_call(story: _Story, lead: Lead, rep: User) -> None:
    moment = story.before(story.history.end)
    with story.at(moment):
        activity_create(
            actor=rep,
            data={
                "kind": ActivityKind.CALL,
                "channel": Channel.PHONE,
                "summary": "Reached the buyer; needs price for 2 sizes and CE papers.",
                "lead": lead.pk,
            },
        )


def _qualify(story: _Story, lead: Lead, rep: User) -> None:
    """The requirement confirmed some working days after the first answer, if that was before
    today."""
    assert story.cursor is not None
    history = story.history
    days = history.working_days_before_today(history.day_of(story.cursor))
    gap = story.rng.randint(*DEFAULT_STEP_GAP)
    if not days:
        return
    with story.at(history.office_time(days[min(gap, len(days)) - 1], story.rng)):
        record_transition(lead, transition="qualify", data={}, actor=rep)


def _share_views(manager: User) -> None:
    """The manager's shared views. They belong to the web interface (web/models.py), which the
    CLI may not import (the layers contract: interfaces do not import each other), so the rows
    are written through the app registry, as a data migration writes them. The values are fixed
    and valid; web/saved_views.py checks the same rules for views people save."""
    saved_view = apps.get_model("web", "SavedView")
    at = now()
    for name, list_key, query in SHARED_VIEWS:
        saved_view._default_manager.get_or_create(
            owner=manager,
            list_key=list_key,
            name=name,
            defaults={"query": query, "shared": True, "created_at": at, "updated_at": at},
        )


def _region(country: str) -> str:
    if country in {"DE", "US", "SE", "PL", "AU"}:
        return "eu_us"
    if country in {"VN", "PH"}:
        return "sea"
    if country in {"CO", "MX"}:
        return "latam"
    if country in {"AE", "NG", "TR"}:
        return "mea"
    return "other"
