"""Demo data: an export sales team with a realistic month of work, created through the same
services as real use (so the playbook, permissions and event log apply to it too).

Loading is idempotent: the data is created once, in one transaction, and skipped when the demo
users exist already.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db import transaction

from sopcrm.core.clock import now
from sopcrm.core.models import Role, User
from sopcrm.core.users import team_create, user_create
from sopcrm.crm.messaging.services.signatures import signature_create
from sopcrm.crm.records.models import (
    Activity,
    ActivityKind,
    Channel,
    Direction,
    FeedbackType,
    LeadSource,
    NewInformation,
)
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import activity_complete, activity_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.transitions import record_transition

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


def _transition_data(
    key: str, rng: random.Random, text: str, amount: int, clear: int = 0
) -> dict[str, Any]:
    """What a rep fills in for each transition of the export playbook (S-09..S-11, S-13), for a
    record with `clear` checklist items clear (S-30, S-32)."""
    today = now().date()
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
        quoted_on = today - timedelta(days=rng.randrange(2, 12))
        return {
            "quote_date": quoted_on.isoformat(),
            "quote_valid_until": (quoted_on + timedelta(days=30)).isoformat(),
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
    return {}


def demo_loaded() -> bool:
    return User.objects.filter(username=DEMO_LOGINS[0].username).exists()


@transaction.atomic
def load_demo_data(seed: int = 7) -> bool:
    """Create the demo team and records; False (and nothing written) if they exist already."""
    if demo_loaded():
        return False
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
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
    reps = [users["li"], users["zhang"], users["chen"]]
    english_names = {"li": "Nina Li", "zhang": "Wei Zhang", "chen": "Jing Chen"}
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
    manager = users["wang"]
    at = now()
    _share_views(manager)

    for index, buyer in enumerate(BUYERS):
        company, site, country, industry, person, title, local, phone = buyer
        rep = reps[index % len(reps)]
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
        text, product, quantity = INQUIRIES[index % len(INQUIRIES)]
        path = DEAL_PATHS[index % len(DEAL_PATHS)]
        amount = rng.randrange(8, 180) * 1000
        # A won deal had every core item clear before the order (S-32).
        clear = max(CLEAR_COUNTS[index % len(CLEAR_COUNTS)], 14 if "win" in path else 0)
        deal = deal_create(
            actor=rep,
            data={
                "title": f"{company.split()[0]} – {product}",
                "account": account.pk,
                "contact": contact.pk,
                "amount": str(amount),
                "currency": "USD",
                "expected_close_on": (at + timedelta(days=rng.randrange(10, 90))).date(),
                "custom": {
                    "product_line": rng.choice(["standard", "custom"]),
                    "region": _region(country),
                    "checklist": list(CHECKLIST[:clear]),
                    "buyer_strength": STRENGTHS[index % len(STRENGTHS)],
                },
            },
        )
        if "send_quote" in path:
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
            # One quote carries a 25% discount, so the manager finds it waiting for approval.
            discount = 25 if index == 3 else rng.choice([0, 5, 10])
            deal = deal_update(deal, actor=rep, data={"custom": {"discount_percent": discount}})
        for key in path:
            data = _transition_data(key, rng, text, amount, clear)
            result = record_transition(deal, transition=key, data=data, actor=rep)
            deal = result.record
            if not result.executed:
                break
        if deal.stage == "quoted" and index % 2 == 0:
            chase = Activity.objects.get(deal=deal, template_key="chase_1", status="open")
            activity_complete(
                chase,
                actor=rep,
                data={
                    "summary": "Customer received the quote; asked for the CE certificate.",
                    "channel": Channel.WHATSAPP,
                    "feedback_type": FeedbackType.COMPARING_SUPPLIERS,
                    "new_information": NewInformation.NEW_MATERIAL,
                },
            )
        activity_create(
            actor=rep,
            data={
                "kind": ActivityKind.EMAIL,
                "channel": Channel.EMAIL,
                "direction": Direction.OUTBOUND,
                "subject": f"Re: {text[:60]}",
                "summary": "Confirmed specification, quantity and target price; "
                "promised a detailed quote within 2 days.",
                "occurred_at": at - timedelta(days=rng.randrange(1, 20), hours=3),
                "deal": deal.pk,
                "contact": contact.pk,
            },
        )
        if deal.stage in {"contacted", "requirements_confirmed"}:
            task = activity_create(
                actor=rep,
                data={
                    "kind": ActivityKind.TASK,
                    "channel": Channel.EMAIL,
                    "subject": "确认规格、数量和目标价",
                    "due_at": at + timedelta(hours=rng.randrange(-48, 96)),
                    "deal": deal.pk,
                },
            )
            if index % 4 == 0:
                activity_complete(
                    task,
                    actor=rep,
                    data={
                        "summary": "Customer is comparing two suppliers; sent our CE certificate.",
                        "channel": Channel.WHATSAPP,
                        "feedback_type": FeedbackType.COMPARING_SUPPLIERS,
                    },
                )

    for index in range(18):
        rep = reps[index % len(reps)]
        text, product, quantity = INQUIRIES[(index + 2) % len(INQUIRIES)]
        company, site, country, *_rest = BUYERS[(index * 5) % len(BUYERS)]
        first = ["Anna", "Carlos", "Mehmet", "Sara", "David", "Thu", "Ahmed", "Julia", "Ravi"]
        name = f"{first[index % len(first)]} {chr(65 + index)}."
        lead = lead_create(
            actor=rep,
            data={
                "name": name,
                "company": f"{company.split()[0]} Group",
                "email": f"{name.split()[0].lower()}{index}@example-buyer.com",
                "country": country,
                "source": SOURCES[index % len(SOURCES)],
                "message": text,
                "received_at": at - timedelta(hours=rng.randrange(1, 24 * 6)),
                "custom": {
                    "product_interest": product,
                    "quantity": quantity,
                    "region": _region(country),
                    "checklist": list(CHECKLIST[: CLEAR_COUNTS[index % len(CLEAR_COUNTS)]]),
                },
            },
        )
        if index % 3 == 1:
            record_transition(
                lead,
                transition="contact",
                data=_transition_data("contact", rng, text, 0),
                actor=rep,
            )
            activity_create(
                actor=rep,
                data={
                    "kind": ActivityKind.CALL,
                    "channel": Channel.PHONE,
                    "summary": "Reached the buyer; needs price for 2 sizes and CE papers.",
                    "lead": lead.pk,
                },
            )
    return True


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
