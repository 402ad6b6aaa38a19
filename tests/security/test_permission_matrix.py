"""The permission matrix: for each role, each kind of record and each way of reading records (the
API's lists and single records, the web lists, boards and record pages, the top-bar search, the
XLSX export, the report dashboards, the report API and the drill-down), nobody sees a record or a
field their role may not see.

One world is built once for the module: teams East (manager `east_manager`, reps `alice` and
`bob`) and West (manager `west_manager`, rep `wendy`), an administrator, and for every owner (and
for nobody: the unassigned queue) a lead, an account, a contact, a lost deal, an open deal and a
task, each named with a marker that says whose it is. The open and lost deals carry manager-only
values (cost and floor price) that are markers too. Every test reads one path as one person and
asserts that no forbidden marker is anywhere in the body, and (so that an empty page cannot pass)
that the person's own marker is there where the path lists records.

The expectations are written out here, not computed with the code under test: a rep sees their
own records; a manager their team's and the unassigned ones; an admin everything; only managers
and admins see cost and floor prices (docs/data-model.md, "Who sees what").
"""

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from sopcrm.core.models import Role, User
from sopcrm.core.tokens import token_create
from sopcrm.core.users import team_create, user_create
from sopcrm.crm.messaging.services.seeding import templates_seed_from_playbook
from sopcrm.crm.records.models import Account, Contact, Deal, Lead
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.process.playbooks import playbook_ensure_default

# Every marker shares this, so one search finds them all.
STEM = "zqmark"
OWNERS = ("alice", "bob", "wendy", "east_manager", "west_manager", "nobody")
KINDS = ("lead", "account", "contact", "deal", "lostdeal", "task")
# What each viewer may see, by owner (written out: not computed with core/visibility.py).
SEES = {
    "alice": {"alice"},
    "east_manager": {"alice", "bob", "east_manager", "nobody"},
    "west_manager": {"wendy", "west_manager", "nobody"},
    "admin": set(OWNERS),
}
VIEWERS = tuple(SEES)
MANAGERS = {"east_manager", "west_manager", "admin"}
# Manager-only deal fields, by label and key (a rep's page must not even name them).
MANAGER_ONLY_NAMES = ("cost_price", "floor_price", "Cost price", "Floor price")
LOSE_REASON = "price_too_high"


def marker(owner: str, kind: str) -> str:
    return f"{STEM}-{owner}-{kind}"


def price_marker(owner: str, which: str) -> str:
    """A money amount no other figure on a page can produce (no thousands separator either)."""
    base = {"cost": 700, "floor": 800}[which]
    return f"{base + OWNERS.index(owner)}.{47 + OWNERS.index(owner)}"


@dataclass
class World:
    users: dict[str, User]
    records: dict[tuple[str, str], Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def forbidden(self, viewer: str) -> list[str]:
        """The markers `viewer` must never meet: others' records, and manager-only values."""
        found = [marker(o, k) for o in OWNERS if o not in SEES[viewer] for k in KINDS]
        if viewer not in MANAGERS:
            found += [price_marker(o, w) for o in OWNERS for w in ("cost", "floor")]
        return found


def _build() -> World:
    templates_seed_from_playbook(playbook_ensure_default("export_trade"))
    east, west = team_create(name="East"), team_create(name="West")
    users = {
        "admin": user_create(username="admin", password="pw-admin-1", role=Role.ADMIN),
        "east_manager": user_create(
            username="east_manager", password="pw-m-1", role=Role.MANAGER, team=east
        ),
        "alice": user_create(username="alice", password="pw-alice-1", team=east),
        "bob": user_create(username="bob", password="pw-bob-1", team=east),
        "west_manager": user_create(
            username="west_manager", password="pw-m-2", role=Role.MANAGER, team=west
        ),
        "wendy": user_create(username="wendy", password="pw-wendy-1", team=west),
    }
    world = World(users=users)
    due = (timezone.now() + timedelta(days=2)).isoformat()
    for owner in OWNERS:
        # The unassigned queue: made by the admin, then handed to nobody.
        actor = users.get(owner, users["admin"])
        manager = users["admin"] if owner in ("nobody", "admin") else _manager_of(users, actor)
        prices = {
            "cost_price": {"amount": price_marker(owner, "cost"), "currency": "USD"},
            "floor_price": {"amount": price_marker(owner, "floor"), "currency": "USD"},
        }
        lead = lead_create(
            actor=actor, data={"name": marker(owner, "lead"), "company": marker(owner, "lead")}
        )
        account = account_create(actor=actor, data={"name": marker(owner, "account")})
        contact = contact_create(
            actor=actor, data={"name": marker(owner, "contact"), "account": account.pk}
        )
        deal = deal_create(
            actor=manager,
            data={
                "title": marker(owner, "deal"),
                "owner": actor.pk,
                "account": account.pk,
                "amount": "1200.00",
                "custom": prices,
            },
        )
        lost = deal_create(
            actor=manager,
            data={
                "title": marker(owner, "lostdeal"),
                "owner": actor.pk,
                "amount": "5300.00",
                "custom": prices,
            },
        )
        lost = record_transition(
            lost,
            transition="lose",
            data={
                "lost_reasons": [LOSE_REASON],
                "lost_note": marker(owner, "lostdeal"),
                "reactivation_likelihood": "unlikely",
            },
            actor=actor,
        ).record
        task = activity_create(
            actor=actor,
            data={"kind": "task", "subject": marker(owner, "task"), "due_at": due, "deal": deal.pk},
        )
        world.records.update(
            {
                (owner, "lead"): lead,
                (owner, "account"): account,
                (owner, "contact"): contact,
                (owner, "deal"): deal,
                (owner, "lostdeal"): lost,
                (owner, "task"): task,
            }
        )
    _hand_to_nobody(world)
    for name, user in users.items():
        world.tokens[name] = token_create(user=user, name="matrix").secret
    return world


def _manager_of(users: dict[str, User], user: User) -> User:
    if user.is_manager or user.is_admin:
        return user
    return users["east_manager"] if user.team == users["alice"].team else users["west_manager"]


def _hand_to_nobody(world: World) -> None:
    """The unassigned queue (a test shortcut: in the product, intake leaves records unassigned
    when no assignment rule matches). A task always has an owner: the queue's task stays the
    admin's, on the unassigned deal."""
    for kind, model in (
        ("lead", Lead),
        ("account", Account),
        ("contact", Contact),
        ("deal", Deal),
        ("lostdeal", Deal),
    ):
        model.objects.filter(pk=world.records[("nobody", kind)].pk).update(owner=None)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module inside a transaction that is rolled back at its end; each test
    runs in a savepoint within it (pytest-django's `db`), so no test changes what others read."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


def body_of(response: Any) -> str:
    """The text of a response; for an XLSX workbook, the text of its sheets and strings."""
    content = response.content if not response.streaming else b"".join(response.streaming_content)
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(
                book.read(name).decode() for name in book.namelist() if name.endswith(".xml")
            )
    return content.decode()


def signed_in(world: World, viewer: str) -> Client:
    client = Client()
    client.force_login(world.users[viewer])
    return client


def assert_nothing_forbidden(world: World, viewer: str, text: str) -> None:
    leaked = [m for m in world.forbidden(viewer) if m in text]
    assert not leaked, f"{viewer} sees {leaked}"


# -- the read paths --------------------------------------------------------------------------------

# Paths that list records, and the kinds of record whose own marker must appear on them.
LISTS = {
    "/api/leads?limit=100": ("lead",),
    "/api/accounts?limit=100": ("account",),
    "/api/contacts?limit=100": ("contact",),
    "/api/deals?limit=100": ("deal", "lostdeal"),
    f"/api/deals?limit=100&q={STEM}": ("deal",),
    "/api/activities?limit=100": ("task",),
    "/leads/": ("lead",),
    "/accounts/": ("account",),
    "/contacts/": ("contact",),
    "/deals/": ("deal",),
    f"/deals/?q={STEM}": ("deal",),
    "/activities/": ("task",),
    "/deals/board/": ("deal",),
    "/leads/board/": ("lead",),
    f"/search/?q={STEM}": ("lead", "deal", "account", "contact"),
    "/reports/records/?segment=lost_reason&value=" + LOSE_REASON: ("lostdeal",),
    "/reports/records/?segment=entered&value=new": ("deal",),
    "/reports/records/?segment=entered&object=lead&value=new": ("lead",),
}
# Paths that show figures, examples or queues (no marker is sure to be on them).
OTHERS = [
    "/",
    "/reports/",
    "/reports/me/",
    "/reports/monthly/",
    "/approvals/",
    "/notifications/",
    "/api/me/day",
    "/api/deals-remarketing",
    "/api/lists/mailing_list",
    "/api/approvals",
    "/api/notifications",
    *(
        f"/api/reports/{name}"
        for name in (
            "first-response",
            "funnel",
            "dwell",
            "quotes",
            "tasks",
            "lost-reasons",
            "reps",
            "best-practice",
        )
    ),
    "/api/reports/funnel?object=lead",
    "/api/reports/reps?by=source",
]


@pytest.mark.parametrize("path", list(LISTS))
@pytest.mark.parametrize("viewer", VIEWERS)
def test_list_shows_own_records_and_nothing_forbidden(world, db, viewer, path):
    response = signed_in(world, viewer).get(path)
    assert response.status_code == 200
    text = body_of(response)
    assert_nothing_forbidden(world, viewer, text)
    for kind in LISTS[path]:
        assert marker("alice" if viewer != "west_manager" else "wendy", kind) in text


@pytest.mark.parametrize("path", OTHERS)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_page_shows_nothing_forbidden(world, db, viewer, path):
    response = signed_in(world, viewer).get(path, follow=True)
    assert response.status_code == 200
    assert_nothing_forbidden(world, viewer, body_of(response))


def test_search_dropdown_shows_nothing_forbidden(world, db):
    response = signed_in(world, "alice").get(
        f"/search/?q={STEM}", headers={"HX-Request": "true", "HX-Target": "top-search-results"}
    )
    assert response.status_code == 200
    assert_nothing_forbidden(world, "alice", body_of(response))


def test_monthly_export_is_a_workbook_with_own_examples(world, db):
    """The XLSX export reads the same records (its lost example is Alice's largest lost deal)."""
    text = body_of(signed_in(world, "alice").get("/reports/monthly/"))
    assert marker("alice", "lostdeal") in text


# -- single records: the API and the record pages --------------------------------------------------

API_PATHS = {
    "lead": "/api/leads/{pk}",
    "account": "/api/accounts/{pk}",
    "contact": "/api/contacts/{pk}",
    "deal": "/api/deals/{pk}",
    "lostdeal": "/api/deals/{pk}",
    "task": "/api/activities/{pk}",
}
WEB_PATHS = {
    "lead": "/leads/{pk}/",
    "account": "/accounts/{pk}/",
    "contact": "/contacts/{pk}/",
    "deal": "/deals/{pk}/",
    "lostdeal": "/deals/{pk}/",
    "task": "/activities/{pk}/",
}


def _paths_for(kind: str) -> list[str]:
    return [API_PATHS[kind], API_PATHS[kind] + "/timeline", WEB_PATHS[kind]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_record_of_someone_unseen_is_404_and_shows_nothing(world, db, viewer, kind):
    client = signed_in(world, viewer)
    for owner in OWNERS:
        if owner in SEES[viewer]:
            continue
        for path in _paths_for(kind):
            response = client.get(path.format(pk=world.records[(owner, kind)].pk))
            assert response.status_code == 404, path
            assert_nothing_forbidden(world, viewer, body_of(response))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_visible_record_shows_no_field_the_role_may_not_see(world, db, viewer, kind):
    client = signed_in(world, viewer)
    for owner in SEES[viewer]:
        for path in _paths_for(kind):
            response = client.get(path.format(pk=world.records[(owner, kind)].pk))
            assert response.status_code == 200, path
            text = body_of(response)
            assert_nothing_forbidden(world, viewer, text)
            if viewer not in MANAGERS:
                assert not [name for name in MANAGER_ONLY_NAMES if name in text], path


@pytest.mark.parametrize("path", ["/api/deals/{pk}", "/deals/{pk}/"])
def test_manager_sees_the_manager_only_values(world, db, path):
    """The control for the field checks above: the values are on the page for a manager."""
    deal = world.records[("alice", "deal")]
    text = body_of(signed_in(world, "east_manager").get(path.format(pk=deal.pk)))
    assert price_marker("alice", "cost") in text
    assert price_marker("alice", "floor") in text


@pytest.mark.parametrize("viewer", VIEWERS)
def test_token_reads_the_same_as_the_session(world, db, viewer):
    """A script with the viewer's personal token reads no more than the viewer."""
    client = Client(headers={"Authorization": f"Bearer {world.tokens[viewer]}"})
    for path in ("/api/deals?limit=100", "/api/leads?limit=100", "/api/activities?limit=100"):
        response = client.get(path)
        assert response.status_code == 200
        assert_nothing_forbidden(world, viewer, body_of(response))
