"""Search from the top bar (`/search/?q=`): the leads, deals, accounts and contacts the user may
see, by name, company, e-mail or phone, grouped by type; a dropdown of the first results while
typing (htmx)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sopcrm.crm.records.querying.matching import phone_digits
from sopcrm.crm.records.search import record_search
from sopcrm.crm.records.services.accounts import account_create, account_update
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create

DROPDOWN = {"HX-Request": "true", "HX-Target": "top-search-results"}


def _search(client, q, **kwargs):
    return client.get(reverse("search"), {"q": q}, **kwargs)


def _found(response):
    """{type: [names]} of the results page."""
    return {g.key: [hit.name for hit in g.hits] for g in response.context["groups"]}


def test_search_finds_each_type_by_name_and_groups_them(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Nordic Pumps"})
    contact_create(actor=people.alice, data={"name": "Ana Nordic", "account": account.pk})
    lead_create(actor=people.alice, data={"name": "Ola", "company": "Nordic Valves"})
    deal_create(actor=people.alice, data={"title": "Pumps for Oslo", "account": account.pk})
    deal_create(actor=people.alice, data={"title": "Unrelated"})
    response = _search(client_for(people.alice), "nordic")
    assert _found(response) == {
        "lead": ["Ola (Nordic Valves)"],
        "deal": ["Pumps for Oslo"],  # by its account, the customer's company
        "account": ["Nordic Pumps"],
        "contact": ["Ana Nordic"],
    }
    html = response.content.decode()
    assert html.index('<h2 id="results-lead"') < html.index('<h2 id="results-contact"')


def test_a_contact_is_found_by_its_company(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    contact_create(actor=people.alice, data={"name": "Bea", "account": account.pk})
    assert _found(_search(client_for(people.alice), "acme"))["contact"] == ["Bea"]


def test_a_phone_typed_with_spaces_dashes_or_a_trunk_zero_finds_the_stored_number(
    client_for, people
):
    lead_create(actor=people.alice, data={"name": "Li", "phone": "+86 138 0013 8000"})
    account_create(actor=people.alice, data={"name": "London Ltd", "phone": "+44 20 7946 0958"})
    client = client_for(people.alice)
    assert _found(_search(client, "138-0013-8000")) == {"lead": ["Li"]}
    assert _found(_search(client, "0086 138 0013 8000")) == {"lead": ["Li"]}
    assert _found(_search(client, "020 7946 0958")) == {"account": ["London Ltd"]}


def test_an_email_matches_whatever_its_case_and_finds_the_account_of_its_domain(client_for, people):
    lead_create(actor=people.alice, data={"name": "Ana", "email": "Ana.Silva@Example.com"})
    account_create(actor=people.alice, data={"name": "Example SA", "website": "example.com"})
    found = _found(_search(client_for(people.alice), "ANA.SILVA@EXAMPLE.COM"))
    assert found == {"lead": ["Ana"], "account": ["Example SA"]}


def test_other_reps_and_other_teams_records_never_appear(client_for, people):
    for owner in (people.alice, people.bob, people.wendy):
        name = f"Pumps {owner.username}"
        lead_create(actor=owner, data={"name": name})
        account_create(actor=owner, data={"name": name})
        contact_create(actor=owner, data={"name": name})
        deal_create(actor=owner, data={"title": name})
    mine = _found(_search(client_for(people.alice), "pumps"))
    assert mine == {t: ["Pumps alice"] for t in ("lead", "deal", "account", "contact")}
    team = _found(_search(client_for(people.east_manager), "pumps"))
    assert {name for names in team.values() for name in names} == {"Pumps alice", "Pumps bob"}


def test_each_type_shows_20_and_links_to_its_list_filtered_by_the_words(client_for, people):
    for number in range(21):
        deal_create(actor=people.alice, data={"title": f"Valve order {number}"})
    response = _search(client_for(people.alice), "valve order")
    [group] = response.context["groups"]
    assert (len(group.hits), group.total) == (20, 21)
    assert group.list_url == f"{reverse('deal_list')}?q=valve+order"
    html = response.content.decode()
    assert f'href="{reverse("deal_list")}?q=valve+order"' in html
    assert "All 21 in Deals" in html


def test_nothing_found_says_so(client_for, people):
    response = _search(client_for(people.alice), "zzz")
    assert response.context["groups"] == []
    assert "Nothing matches “zzz”." in response.content.decode()


def test_while_typing_htmx_gets_a_dropdown_of_the_first_results_only(client_for, people):
    for number in range(7):
        lead_create(actor=people.alice, data={"name": f"Ana {number}"})
    response = _search(client_for(people.alice), "ana", headers=DROPDOWN)
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('href="/leads/') == 5
    assert f'href="{reverse("search")}?q=ana"' in html  # all results
    assert "HX-Target" in response["Vary"]


def test_an_emptied_box_empties_the_dropdown(client_for, people):
    response = _search(client_for(people.alice), "  ", headers=DROPDOWN)
    assert response.content == b""


def test_the_top_bar_has_a_labelled_search_form_that_works_without_javascript(client_for, people):
    html = client_for(people.alice).get(reverse("home")).content.decode()
    assert f'<form method="get" action="{reverse("search")}" role="search"' in html
    assert '<label for="top-search-q"' in html and 'id="top-search-q" name="q"' in html


def test_search_needs_a_signed_in_user(client, db):
    assert _search(client, "ana").status_code == 302


def test_the_number_of_queries_does_not_grow_with_the_results(
    client_for, people, django_assert_max_num_queries
):
    def add(number):
        account = account_create(actor=people.alice, data={"name": f"Delta {number}"})
        contact = contact_create(
            actor=people.alice, data={"name": f"Delta {number}", "account": account.pk}
        )
        lead_create(actor=people.alice, data={"name": f"Delta {number}"})
        deal_create(
            actor=people.alice,
            data={"title": f"Delta {number}", "account": account.pk, "contact": contact.pk},
        )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            _search(client, "delta")
        return len(captured)

    client = client_for(people.alice)
    add(0)
    queries()  # signing in writes the session
    few = queries()
    for number in range(1, 5):
        add(number)
    assert queries() == few
    with django_assert_max_num_queries(8):
        _search(client, "delta")


def test_phone_digits_ignore_text_and_short_numbers():
    assert phone_digits("+86 (138) 0013-8000") == "8613800138000"
    assert phone_digits("Ana") == ""
    assert phone_digits("2025") == ""


def test_a_nul_character_finds_nothing(people):
    assert record_search(people.alice, "a\x00b") == []


def test_a_list_search_box_finds_a_phone_by_its_digits_like_the_top_bar(client_for, people):
    lead_create(actor=people.alice, data={"name": "Li", "phone": "+86 138 0013 8000"})
    response = client_for(people.alice).get(reverse("lead_list"), {"q": "138-0013-8000"})
    assert [row[0].text for row in response.context["rows"]] == ["Li"]


def test_a_deal_is_found_by_its_contacts_name_address_or_phone_digits(client_for, people):
    contact = contact_create(
        actor=people.alice,
        data={"name": "Chen Wei", "email": "chen.wei@haitong.cn", "phone": "+86 138 0013 8000"},
    )
    deal_create(actor=people.alice, data={"title": "Valves", "contact": contact.pk})
    client = client_for(people.alice)
    for words in ("chen wei", "CHEN.WEI@HAITONG", "138-0013-8000"):
        assert _found(_search(client, words)) == {"deal": ["Valves"], "contact": ["Chen Wei"]}


def test_a_renamed_record_is_found_by_its_new_name_and_no_longer_by_the_old_one(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Fjord Pumps"})
    account_update(account, actor=people.alice, data={"name": "Baltic Pumps"})
    client = client_for(people.alice)
    assert _found(_search(client, "baltic")) == {"account": ["Baltic Pumps"]}
    assert _found(_search(client, "fjord")) == {}


def test_a_deleted_record_is_no_longer_found(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Fjord Pumps"})
    account.delete()
    assert _found(_search(client_for(people.alice), "fjord")) == {}


def test_words_of_one_or_two_characters_are_matched_too(client_for, people):
    lead_create(actor=people.alice, data={"name": "Li", "company": "华为"})
    client = client_for(people.alice)
    assert _found(_search(client, "li")) == {"lead": ["Li (华为)"]}
    assert _found(_search(client, "华为")) == {"lead": ["Li (华为)"]}


def test_quotes_and_wildcards_in_the_words_are_matched_as_typed(client_for, people):
    account_create(actor=people.alice, data={"name": 'The "Best" Pumps 100%'})
    account_create(actor=people.alice, data={"name": "The Best Pumps 1000"})
    client = client_for(people.alice)
    assert _found(_search(client, '"best" pumps')) == {"account": ['The "Best" Pumps 100%']}
    assert _found(_search(client, "100%")) == {"account": ['The "Best" Pumps 100%']}
    assert _found(_search(client, "pumps 1_00")) == {}


def test_every_searched_table_keeps_the_index_that_serves_search(db):
    """PostgreSQL: the trigram indexes; SQLite: the FTS5 tables and the triggers that keep them
    (a migration that rebuilds a table on SQLite drops its triggers: see migration 0010)."""
    tables = {"records_account", "records_contact", "records_lead", "records_deal"}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tablename FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
            assert {row[0] for row in cursor.fetchall()} == tables
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {(table, name.rsplit("_", 1)[1]) for table, name in cursor.fetchall()}
            assert {(t, kind) for t in tables for kind in ("insert", "update", "delete")} <= (
                triggers
            )
