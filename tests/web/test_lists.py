"""List pages show only visible records, filter and sort them, and run a bounded number of
queries whatever the number of rows."""

from datetime import timedelta

import pytest
from django.urls import reverse

from sopcrm.core.clock import now
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create

from .conftest import walk


def _titles(response) -> list[str]:
    return [row[0].text for row in response.context["rows"]]


def test_rep_deal_list_shows_own_deals_only(client_for, people):
    deal_create(actor=people.alice, data={"title": "Alice valves"})
    deal_create(actor=people.bob, data={"title": "Bob pumps"})
    deal_create(actor=people.wendy, data={"title": "Wendy gears"})
    response = client_for(people.alice).get(reverse("deal_list"))
    assert _titles(response) == ["Alice valves"]


def test_manager_deal_list_shows_the_team_deals(client_for, people):
    deal_create(actor=people.alice, data={"title": "Alice valves"})
    deal_create(actor=people.bob, data={"title": "Bob pumps"})
    deal_create(actor=people.wendy, data={"title": "Wendy gears"})
    response = client_for(people.east_manager).get(reverse("deal_list"), {"sort": "title"})
    assert _titles(response) == ["Alice valves", "Bob pumps"]


def test_rep_lead_list_shows_own_leads_only(client_for, people):
    lead_create(actor=people.alice, data={"name": "Ann"})
    lead_create(actor=people.wendy, data={"name": "Walt"})
    response = client_for(people.alice).get(reverse("lead_list"))
    assert _titles(response) == ["Ann"]


def test_search_box_filters_the_list(client_for, people):
    account_create(actor=people.alice, data={"name": "Acme Valves"})
    account_create(actor=people.alice, data={"name": "Bolt Pumps"})
    response = client_for(people.alice).get(reverse("account_list"), {"q": "valv"})
    assert _titles(response) == ["Acme Valves"]


def test_htmx_search_returns_only_the_results_partial(client_for, people):
    account_create(actor=people.alice, data={"name": "Acme Valves"})
    response = client_for(people.alice).get(
        reverse("account_list"), {"q": "acme"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert '<div id="results"' in html
    assert "<html" not in html
    assert "Acme Valves" in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(client_for, people):
    response = client_for(people.alice).get(
        reverse("account_list"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()


def test_deal_list_filters_by_stage(client_for, people):
    deal_create(actor=people.alice, data={"title": "Fresh"})
    moved = deal_create(actor=people.alice, data={"title": "Quoted one"})
    walk(moved, "quoted", people.alice)
    response = client_for(people.alice).get(reverse("deal_list"), {"stage": "quoted"})
    assert _titles(response) == ["Quoted one"]


def test_manager_deal_list_filters_by_owner(client_for, people):
    deal_create(actor=people.alice, data={"title": "Alice valves"})
    deal_create(actor=people.bob, data={"title": "Bob pumps"})
    response = client_for(people.east_manager).get(
        reverse("deal_list"), {"owner": str(people.bob.pk)}
    )
    assert _titles(response) == ["Bob pumps"]


def test_rep_gets_no_owner_filter(client_for, people):
    response = client_for(people.alice).get(reverse("deal_list"))
    assert [f.name for f, _current in response.context["filters"]] == ["stage"]


def test_unknown_filter_value_is_ignored(client_for, people):
    deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(reverse("deal_list"), {"stage": "nonsense"})
    assert _titles(response) == ["Valves"]


def test_column_header_sorts_descending_on_second_click(client_for, people):
    for name in ("Bravo", "Alpha", "Charlie"):
        account_create(actor=people.alice, data={"name": name})
    client = client_for(people.alice)
    assert _titles(client.get(reverse("account_list"), {"sort": "name"})) == [
        "Alpha",
        "Bravo",
        "Charlie",
    ]
    response = client.get(reverse("account_list"), {"sort": "-name"})
    assert _titles(response) == ["Charlie", "Bravo", "Alpha"]
    header = next(h for h in response.context["headers"] if h.label == "Name")
    assert header.aria_sort == "descending"
    assert header.sort_param == "name"


def test_unknown_sort_falls_back_to_the_default(client_for, people):
    account_create(actor=people.alice, data={"name": "Acme"})
    response = client_for(people.alice).get(reverse("account_list"), {"sort": "password"})
    assert response.status_code == 200
    assert response.context["sort"] == "-created"


def test_list_is_paginated_by_fifty(client_for, people):
    for i in range(51):
        account_create(actor=people.alice, data={"name": f"Account {i:02d}"})
    client = client_for(people.alice)
    first = client.get(reverse("account_list"), {"sort": "name"})
    assert len(first.context["rows"]) == 50
    second = client.get(reverse("account_list"), {"sort": "name", "page": "2"})
    assert _titles(second) == ["Account 50"]


def test_activity_list_filters_by_kind_and_status(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    activity_create(
        actor=people.alice,
        data={
            "kind": "task",
            "subject": "Call back",
            "due_at": now() + timedelta(days=1),
            "account": account.pk,
        },
    )
    activity_create(
        actor=people.alice,
        data={
            "kind": "call",
            "summary": "Asked for a quote",
            "subject": "First call",
            "account": account.pk,
        },
    )
    response = client_for(people.alice).get(
        reverse("activity_list"), {"kind": "task", "status": "open"}
    )
    assert _titles(response) == ["Call back"]


def _make(kind: str, actor, count: int) -> None:
    for i in range(count):
        account = account_create(actor=actor, data={"name": f"Account {i}"})
        if kind == "contact":
            contact_create(actor=actor, data={"name": f"Contact {i}", "account": account.pk})
        elif kind == "deal":
            contact = contact_create(actor=actor, data={"name": f"Contact {i}"})
            deal_create(
                actor=actor,
                data={
                    "title": f"Deal {i}",
                    "account": account.pk,
                    "contact": contact.pk,
                    "amount": "100",
                },
            )
        elif kind == "lead":
            lead_create(actor=actor, data={"name": f"Lead {i}", "source": "email"})
        elif kind == "activity":
            activity_create(
                actor=actor,
                data={"kind": "note", "summary": "Met", "account": account.pk},
            )


def _queries_for(client, url, django_assert_max_num_queries, limit) -> int:
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("kind", "url_name"),
    [
        ("account", "account_list"),
        ("contact", "contact_list"),
        ("lead", "lead_list"),
        ("deal", "deal_list"),
        ("activity", "activity_list"),
    ],
)
def test_list_page_runs_the_same_queries_for_5_or_30_records(
    client_for, people, django_assert_max_num_queries, kind, url_name
):
    client = client_for(people.east_manager)
    url = reverse(url_name)
    _make(kind, people.alice, 5)
    client.get(url)  # warm the playbook cache, as any running server has
    with_five = _queries_for(client, url, django_assert_max_num_queries, 10)
    _make(kind, people.bob, 25)
    with_thirty = _queries_for(client, url, django_assert_max_num_queries, 10)
    assert with_five == with_thirty
