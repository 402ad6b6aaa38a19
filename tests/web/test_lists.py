"""List pages show only visible records, filter and sort them, and run a bounded number of
queries whatever the number of rows."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from sopcrm.core.clock import now
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.web.display import format_datetime

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
    assert "owner" not in [f.name for f, _current in response.context["filters"]]


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
    # 14: the count, the page's ids, then its rows (web/views/lists.py, _IdsFirstPaginator).
    with_five = _queries_for(client, url, django_assert_max_num_queries, 14)
    _make(kind, people.bob, 25)
    with_thirty = _queries_for(client, url, django_assert_max_num_queries, 14)
    assert with_five == with_thirty


# -- filters of leads and deals (S-45) ---------------------------------------------------------

T0 = datetime(2025, 11, 10, 9, 0, tzinfo=UTC)


def _call(actor, **about) -> None:
    """A call with the customer, logged now: it sets the record's last contact."""
    activity_create(actor=actor, data={"kind": "call", "summary": "Talked", **about})


def test_no_contact_filter_keeps_deals_last_contacted_n_days_ago_or_earlier(
    client_for, people, frozen
):
    frozen(T0)
    old = deal_create(actor=people.alice, data={"title": "Contacted 5 days ago"})
    recent = deal_create(actor=people.alice, data={"title": "Contacted 4 days ago"})
    _call(people.alice, deal=old.pk)
    frozen(T0 + timedelta(days=1))
    _call(people.alice, deal=recent.pk)
    frozen(T0 + timedelta(days=5))
    response = client_for(people.alice).get(reverse("deal_list"), {"no_contact": "5"})
    assert _titles(response) == ["Contacted 5 days ago"]


def test_no_contact_filter_counts_a_deal_never_contacted_from_its_creation(
    client_for, people, frozen
):
    frozen(T0)
    deal_create(actor=people.alice, data={"title": "Never contacted, 6 days old"})
    frozen(T0 + timedelta(days=5))
    deal_create(actor=people.alice, data={"title": "Never contacted, 1 day old"})
    frozen(T0 + timedelta(days=6))
    response = client_for(people.alice).get(reverse("deal_list"), {"no_contact": "5"})
    assert _titles(response) == ["Never contacted, 6 days old"]


def test_no_contact_filter_counts_a_lead_never_contacted_from_when_it_was_received(
    client_for, people, frozen
):
    frozen(T0 + timedelta(days=6))
    lead_create(actor=people.alice, data={"name": "Old inquiry", "received_at": T0})
    lead_create(actor=people.alice, data={"name": "New inquiry"})
    response = client_for(people.alice).get(reverse("lead_list"), {"no_contact": "5"})
    assert _titles(response) == ["Old inquiry"]


def test_in_stage_filter_keeps_deals_in_their_stage_for_more_than_n_days(
    client_for, people, frozen
):
    frozen(T0)
    walk(
        deal_create(actor=people.alice, data={"title": "Quoted 8 days ago"}), "quoted", people.alice
    )
    frozen(T0 + timedelta(days=1))
    walk(
        deal_create(actor=people.alice, data={"title": "Quoted 7 days ago"}), "quoted", people.alice
    )
    frozen(T0 + timedelta(days=8))
    response = client_for(people.alice).get(
        reverse("deal_list"), {"stage": "quoted", "in_stage": "7"}
    )
    assert _titles(response) == ["Quoted 8 days ago"]


def test_deal_list_shows_open_deals_unless_asked_for_closed_or_all(client_for, people):
    deal_create(actor=people.alice, data={"title": "Open one"})
    walk(deal_create(actor=people.alice, data={"title": "Lost one"}), "lost", people.alice)
    client = client_for(people.alice)
    url = reverse("deal_list")
    assert _titles(client.get(url)) == ["Open one"]
    assert _titles(client.get(url, {"status": "closed"})) == ["Lost one"]
    assert sorted(_titles(client.get(url, {"status": "all"}))) == ["Lost one", "Open one"]


def test_a_stage_picked_shows_its_records_whatever_the_status(client_for, people):
    deal_create(actor=people.alice, data={"title": "Open one"})
    walk(deal_create(actor=people.alice, data={"title": "Lost one"}), "lost", people.alice)
    client = client_for(people.alice)
    for params in ({"stage": "lost"}, {"stage": "lost", "status": "open"}):
        response = client.get(reverse("deal_list"), params)
        assert _titles(response) == ["Lost one"]
        assert response.context["query"] == "stage=lost"


def test_unknown_status_falls_back_to_open(client_for, people):
    deal_create(actor=people.alice, data={"title": "Open one"})
    walk(deal_create(actor=people.alice, data={"title": "Lost one"}), "lost", people.alice)
    response = client_for(people.alice).get(reverse("deal_list"), {"status": "nonsense"})
    assert _titles(response) == ["Open one"]


def test_lead_list_filters_by_source_and_country(client_for, people):
    lead_create(
        actor=people.alice, data={"name": "Fair DE", "source": "trade_show", "country": "DE"}
    )
    lead_create(
        actor=people.alice, data={"name": "Web DE", "source": "website_form", "country": "DE"}
    )
    lead_create(
        actor=people.alice, data={"name": "Fair VN", "source": "trade_show", "country": "VN"}
    )
    response = client_for(people.alice).get(
        reverse("lead_list"), {"source": "trade_show", "country": "DE"}
    )
    assert _titles(response) == ["Fair DE"]


def test_lead_country_filter_offers_only_countries_of_visible_leads(client_for, people):
    lead_create(actor=people.alice, data={"name": "Ann", "country": "DE"})
    lead_create(actor=people.wendy, data={"name": "Walt", "country": "VN"})
    response = client_for(people.alice).get(reverse("lead_list"))
    country = next(f for f, _current in response.context["filters"] if f.name == "country")
    assert [code for code, _label in country.choices] == ["DE"]


def test_deal_list_filters_by_expected_close_days_both_included(client_for, people):
    for day in ("2025-12-01", "2025-12-15", "2025-12-31", "2026-01-01"):
        deal_create(actor=people.alice, data={"title": day, "expected_close_on": day})
    response = client_for(people.alice).get(
        reverse("deal_list"), {"close_from": "2025-12-01", "close_to": "2025-12-31"}
    )
    assert _titles(response) == ["2025-12-01", "2025-12-15", "2025-12-31"]


def test_bad_number_and_date_filters_are_ignored(client_for, people):
    deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(
        reverse("deal_list"), {"no_contact": "-3", "in_stage": "abc", "close_from": "2025-13-01"}
    )
    assert _titles(response) == ["Valves"]
    assert response.context["query"] == ""


def test_filters_stay_in_the_form_after_a_reload(client_for, people):
    html = (
        client_for(people.alice)
        .get(reverse("deal_list"), {"no_contact": "5", "status": "closed"})
        .content.decode()
    )
    assert 'name="no_contact" value="5"' in html
    assert '<option value="closed" selected>' in html


# -- columns ------------------------------------------------------------------------------------


def _headers(response) -> list[str]:
    return [h.label for h in response.context["headers"]]


def test_deal_list_shows_the_default_columns_without_cols(client_for, people):
    response = client_for(people.alice).get(reverse("deal_list"))
    assert _headers(response) == ["Title", "Account", "Stage", "Amount", "Expected close", "Owner"]


def test_cols_picks_the_columns_and_the_first_is_always_shown(client_for, people, frozen):
    frozen(T0)
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    _call(people.alice, deal=deal.pk)
    frozen(T0 + timedelta(days=3))
    response = client_for(people.alice).get(reverse("deal_list"), {"cols": "in_stage,last_contact"})
    assert _headers(response) == ["Title", "Days in stage", "Last contact"]
    assert [c.text for c in response.context["rows"][0]] == ["Valves", "3", format_datetime(T0)]


def test_ticked_column_checkboxes_work_like_cols(client_for, people):
    response = client_for(people.alice).get(
        reverse("deal_list") + "?cols=title&cols=created&cols=owner"
    )
    assert _headers(response) == ["Title", "Created", "Owner"]
    assert response.context["query"] == "cols=title,created,owner"


def test_unknown_columns_fall_back_to_the_defaults(client_for, people):
    response = client_for(people.alice).get(reverse("deal_list"), {"cols": "password"})
    assert _headers(response) == ["Title", "Account", "Stage", "Amount", "Expected close", "Owner"]


def test_last_contact_column_says_never_for_a_deal_never_contacted(client_for, people):
    deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(reverse("deal_list"), {"cols": "last_contact"})
    assert response.context["rows"][0][1].text == "Never"


def test_days_in_stage_column_sorts_the_longest_last_when_ascending(client_for, people, frozen):
    frozen(T0)
    deal_create(actor=people.alice, data={"title": "Older"})
    frozen(T0 + timedelta(days=2))
    deal_create(actor=people.alice, data={"title": "Newer"})
    response = client_for(people.alice).get(
        reverse("deal_list"), {"cols": "in_stage", "sort": "in_stage"}
    )
    assert _titles(response) == ["Newer", "Older"]


def test_lead_column_shows_only_a_lead_the_reader_may_see(client_for, people):
    mine = lead_create(actor=people.alice, data={"name": "Ann"})
    managers = lead_create(actor=people.east_manager, data={"name": "Max"})
    deal_create(actor=people.alice, data={"title": "From Ann", "lead": mine.pk})
    deal_create(
        actor=people.east_manager,
        data={"title": "From Max", "lead": managers.pk, "owner": people.alice.pk},
    )
    response = client_for(people.alice).get(reverse("deal_list"), {"cols": "lead", "sort": "title"})
    assert [(row[0].text, row[1].text) for row in response.context["rows"]] == [
        ("From Ann", "Ann"),
        ("From Max", ""),
    ]


def test_lead_list_offers_priority_and_grade_with_their_labels(client_for, people):
    checklist = [
        "specification",
        "quantity",
        "lead_time",
        "certification",
        "material",
        "application",
        "target_price",
        "payment_terms",
    ]
    lead_create(actor=people.alice, data={"name": "Ann", "custom": {"checklist": checklist}})
    response = client_for(people.alice).get(reverse("lead_list"), {"cols": "priority,grade"})
    assert _headers(response) == ["Name", "Priority", "Grade"]
    assert response.context["rows"][0][1].text == "High"


def test_htmx_answer_pushes_the_tidy_address(client_for, people):
    response = client_for(people.alice).get(
        reverse("deal_list") + "?q=&stage=&status=open&no_contact=5&sort=close"
        "&cols=title&cols=account&cols=stage&cols=amount&cols=close&cols=owner",
        headers={"HX-Request": "true"},
    )
    assert response["HX-Push-Url"] == reverse("deal_list") + "?no_contact=5"


def _make_rich_deals(actor, count: int) -> None:
    lead = lead_create(actor=actor, data={"name": "Source lead"})
    for i in range(count):
        account = account_create(actor=actor, data={"name": f"Account {i}"})
        contact = contact_create(actor=actor, data={"name": f"Contact {i}"})
        deal = deal_create(
            actor=actor,
            data={
                "title": f"Deal {i}",
                "account": account.pk,
                "contact": contact.pk,
                "lead": lead.pk,
            },
        )
        _call(actor, deal=deal.pk)


@pytest.mark.parametrize(
    ("url_name", "make", "cols"),
    [
        (
            "deal_list",
            _make_rich_deals,
            "title,account,contact,lead,stage,in_stage,amount,close,last_contact,created,owner",
        ),
        (
            "lead_list",
            lambda actor, count: _make("lead", actor, count),
            "name,company,email,phone,country,source,stage,in_stage,priority,grade,owner,"
            "received,last_contact,created",
        ),
    ],
)
def test_every_column_shown_runs_the_same_queries_for_1_or_30_records(
    client_for, people, django_assert_max_num_queries, url_name, make, cols
):
    client = client_for(people.east_manager)
    filters = "no_contact=0&in_stage=0&status=all"
    url = f"{reverse(url_name)}?cols={cols}&{filters}"
    make(people.alice, 1)
    client.get(url)  # warm the playbook cache, as any running server has
    with_one = _queries_for(client, url, django_assert_max_num_queries, 14)
    make(people.bob, 29)
    response = client.get(url)
    assert len(response.context["rows"]) >= 30
    with_thirty = _queries_for(client, url, django_assert_max_num_queries, 14)
    default_columns = f"{reverse(url_name)}?{filters}"
    with_defaults = _queries_for(client, default_columns, django_assert_max_num_queries, 14)
    assert with_one == with_thirty == with_defaults
