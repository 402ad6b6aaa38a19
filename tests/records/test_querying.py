"""List filtering, sorting and cursor pagination (crm/records/querying.py) on core and custom
fields; the suite runs on SQLite and PostgreSQL, so each test holds on both."""

import base64
import json

import pytest
import time_machine

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import RecordType
from sopcrm.crm.records.querying import record_page
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.process.playbooks import playbook_activate

FROZEN = "2025-03-03T09:00:00+08:00"


def titles(page):
    return [deal.title for deal in page.items]


def walk(user, record_type, **params):
    """Every row of a list, page by page, in order."""
    seen, cursor = [], None
    while True:
        page = record_page(user, record_type, cursor=cursor, **params)
        seen.extend(page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def make_deals(user, customs):
    return [
        deal_create(actor=user, data={"title": f"D{n}", "custom": custom})
        for n, custom in enumerate(customs)
    ]


def test_sort_by_custom_number_puts_missing_values_last(people):
    make_deals(
        people.alice,
        [{"discount_percent": 5}, {"discount_percent": 12.5}, {}, {"discount_percent": -1}],
    )
    page = record_page(people.alice, RecordType.DEAL, sort="custom.discount_percent")
    assert titles(page) == ["D3", "D0", "D1", "D2"]
    page = record_page(people.alice, RecordType.DEAL, sort="-custom.discount_percent")
    assert titles(page) == ["D1", "D0", "D3", "D2"]


def test_filter_custom_number_compares_numerically_not_as_text(people):
    make_deals(people.alice, [{"discount_percent": 9}, {"discount_percent": 10}, {}])
    page = record_page(people.alice, RecordType.DEAL, filters=["custom.discount_percent:gt:9.5"])
    assert titles(page) == ["D1"]


def test_filter_custom_money_compares_amounts_as_decimals(people):
    leads = [
        lead_create(
            actor=people.alice,
            data={
                "name": f"L{n}",
                "custom": {"target_price": {"amount": amount, "currency": "USD"}},
            },
        )
        for n, amount in enumerate(["9.99", "100", "25.50"])
    ]
    page = record_page(
        people.alice,
        RecordType.LEAD,
        filters=["custom.target_price:gte:25.5"],
        sort="custom.target_price",
    )
    assert [lead.pk for lead in page.items] == [leads[2].pk, leads[1].pk]


def test_sort_by_custom_money_walks_every_row_once_across_pages(people):
    amounts = ["5", "5", "100", "12.50", "0.99", None, "12.50"]
    for n, amount in enumerate(amounts):
        custom = {"target_price": {"amount": amount, "currency": "USD"}} if amount else {}
        lead_create(actor=people.alice, data={"name": f"L{n}", "custom": custom})
    rows = walk(people.alice, RecordType.LEAD, sort="-custom.target_price", limit=2)
    assert [r.name for r in rows] == ["L2", "L6", "L3", "L1", "L0", "L4", "L5"]


def test_filter_and_sort_by_custom_date(people):
    make_deals(
        people.alice,
        [{"quote_date": "2025-02-10"}, {"quote_date": "2025-01-05"}, {"quote_date": "2025-03-01"}],
    )
    page = record_page(
        people.alice,
        RecordType.DEAL,
        filters=["custom.quote_date:gte:2025-02-01"],
        sort="custom.quote_date",
    )
    assert titles(page) == ["D0", "D2"]


def test_multi_choice_contains_matches_one_option_exactly(people):
    make_deals(
        people.alice,
        [
            {"lost_reasons": ["price_too_high", "stable_supplier"]},
            {"lost_reasons": ["stable_supplier"]},
            {},
        ],
    )
    page = record_page(
        people.alice, RecordType.DEAL, filters=["custom.lost_reasons:contains:price_too_high"]
    )
    assert titles(page) == ["D0"]


def test_bool_filter_and_empty_filter(people):
    make_deals(people.alice, [{"requirements_clear": True}, {"requirements_clear": False}, {}])
    assert titles(
        record_page(people.alice, RecordType.DEAL, filters=["custom.requirements_clear:eq:true"])
    ) == ["D0"]
    assert set(
        titles(
            record_page(
                people.alice, RecordType.DEAL, filters=["custom.requirements_clear:ne:true"]
            )
        )
    ) == {"D1", "D2"}
    assert titles(
        record_page(people.alice, RecordType.DEAL, filters=["custom.requirements_clear:empty"])
    ) == ["D2"]


def test_choice_in_filter(people):
    make_deals(people.alice, [{"region": "sea"}, {"region": "latam"}, {"region": "mea"}])
    page = record_page(
        people.alice, RecordType.DEAL, filters=["custom.region:in:sea,mea"], sort="created_at"
    )
    assert titles(page) == ["D0", "D2"]


def test_choice_filter_refuses_unknown_option(people):
    with pytest.raises(InvalidInput) as caught:
        record_page(people.alice, RecordType.DEAL, filters=["custom.region:eq:mars"])
    assert caught.value.problems[0].field == "filter"
    assert caught.value.problems[0].code == "invalid_value"


def test_core_decimal_sort_puts_missing_amounts_last_descending(people):
    for title, amount in [("A", "10"), ("B", None), ("C", "300")]:
        deal_create(actor=people.alice, data={"title": title, "amount": amount})
    assert titles(record_page(people.alice, RecordType.DEAL, sort="-amount")) == ["C", "A", "B"]


def test_text_contains_is_case_insensitive_and_search_spans_fields(people):
    lead_create(actor=people.alice, data={"name": "Ana", "company": "ACME Valves"})
    lead_create(actor=people.alice, data={"name": "Bo", "email": "bo@acme.example"})
    lead_create(actor=people.alice, data={"name": "Cy", "company": "Other"})
    page = record_page(people.alice, RecordType.LEAD, filters=["company:contains:valve"])
    assert [lead.name for lead in page.items] == ["Ana"]
    page = record_page(people.alice, RecordType.LEAD, q="acme", sort="name")
    assert [lead.name for lead in page.items] == ["Ana", "Bo"]


def test_country_filter_accepts_a_name(people):
    account_create(actor=people.alice, data={"name": "Shanghai Co", "country": "CN"})
    account_create(actor=people.alice, data={"name": "Lyon SA", "country": "FR"})
    page = record_page(people.alice, RecordType.ACCOUNT, filters=["country:eq:China"])
    assert [a.name for a in page.items] == ["Shanghai Co"]


def test_created_at_filter_takes_a_date_as_local_midnight(people):
    with time_machine.travel("2025-03-02T23:30:00+08:00", tick=False):
        deal_create(actor=people.alice, data={"title": "Sunday"})
    with time_machine.travel("2025-03-03T00:30:00+08:00", tick=False):
        deal_create(actor=people.alice, data={"title": "Monday"})
    page = record_page(people.alice, RecordType.DEAL, filters=["created_at:gte:2025-03-03"])
    assert titles(page) == ["Monday"]


def test_cursor_walk_with_equal_sort_values_returns_each_row_once(people):
    with time_machine.travel(FROZEN, tick=False):
        deals = make_deals(people.alice, [{}] * 7)
    rows = walk(people.alice, RecordType.DEAL, limit=3)
    assert [d.pk for d in rows] == sorted((d.pk for d in deals), reverse=True)


def test_rows_inserted_during_a_walk_do_not_shift_pages(people):
    with time_machine.travel(FROZEN, tick=False):
        make_deals(people.alice, [{}] * 4)
    first = record_page(people.alice, RecordType.DEAL, sort="created_at", limit=2)
    deal_create(actor=people.alice, data={"title": "late"})
    second = record_page(
        people.alice, RecordType.DEAL, sort="created_at", limit=2, cursor=first.next_cursor
    )
    assert titles(first) + titles(second) == ["D0", "D1", "D2", "D3"]


def test_rep_cannot_filter_or_sort_on_manager_only_field(people):
    for params in ({"filters": ["custom.floor_price:gt:1"]}, {"sort": "custom.cost_price"}):
        with pytest.raises(InvalidInput) as caught:
            record_page(people.alice, RecordType.DEAL, **params)
        assert caught.value.problems[0].code == "not_visible"


def test_manager_can_sort_on_manager_only_field(people):
    deal_create(
        actor=people.east_manager,
        data={"title": "cheap", "custom": {"floor_price": {"amount": "1", "currency": "USD"}}},
    )
    deal_create(
        actor=people.east_manager,
        data={"title": "dear", "custom": {"floor_price": {"amount": "900", "currency": "USD"}}},
    )
    page = record_page(people.east_manager, RecordType.DEAL, sort="-custom.floor_price")
    assert titles(page) == ["dear", "cheap"]


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"filters": ["nope:eq:1"]}, "filter", "unknown_field"),
        ({"filters": ["title"]}, "filter", "syntax"),
        ({"filters": ["title:gt:a"]}, "filter", "unknown_op"),
        ({"filters": ["amount:gt:lots"]}, "filter", "invalid_value"),
        ({"filters": ["created_at:gt:2025-01-01T10:00"]}, "filter", "invalid_value"),
        ({"sort": "stage"}, "sort", "not_sortable"),
        ({"cursor": "not-a-cursor"}, "cursor", "invalid"),
        ({"limit": 0}, "limit", "range"),
        ({"limit": 201}, "limit", "range"),
    ],
)
def test_bad_list_parameters_are_refused_naming_the_parameter(people, params, field, code):
    with pytest.raises(InvalidInput) as caught:
        record_page(people.alice, RecordType.DEAL, **params)
    assert (caught.value.problems[0].field, caught.value.problems[0].code) == (field, code)


def test_cursor_from_another_sort_is_refused(people):
    make_deals(people.alice, [{}] * 3)
    page = record_page(people.alice, RecordType.DEAL, limit=1)
    with pytest.raises(InvalidInput) as caught:
        record_page(people.alice, RecordType.DEAL, sort="amount", cursor=page.next_cursor)
    assert caught.value.problems[0].code == "sort_mismatch"


OTHER_PLAYBOOK = """
key: field_types
name: {en: Field types}
objects:
  account:
    fields:
      - {key: met_at, label: {en: Met at}, type: datetime}
      - {key: origin, label: {en: Origin}, type: country}
      - {key: minder, label: {en: Minder}, type: user}
"""


def test_custom_datetime_country_and_user_fields_filter_and_sort(people):
    playbook_activate(source=OTHER_PLAYBOOK, source_name="types.yaml", actor=None)
    early = account_create(
        actor=people.alice,
        data={
            "name": "early",
            "custom": {
                "met_at": "2025-03-01T09:00:00+08:00",
                "origin": "Viet Nam",
                "minder": people.bob.pk,
            },
        },
    )
    late = account_create(
        actor=people.alice,
        data={"name": "late", "custom": {"met_at": "2025-03-01T02:00:00Z", "origin": "FR"}},
    )
    page = record_page(people.alice, RecordType.ACCOUNT, sort="custom.met_at")
    assert [a.pk for a in page.items] == [early.pk, late.pk]
    page = record_page(
        people.alice, RecordType.ACCOUNT, filters=["custom.met_at:gt:2025-03-01T09:30:00+08:00"]
    )
    assert [a.pk for a in page.items] == [late.pk]
    page = record_page(people.alice, RecordType.ACCOUNT, filters=["custom.origin:eq:VN"])
    assert [a.pk for a in page.items] == [early.pk]
    page = record_page(
        people.alice, RecordType.ACCOUNT, filters=[f"custom.minder:eq:{people.bob.pk}"]
    )
    assert [a.pk for a in page.items] == [early.pk]


def forged_cursor(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "params",
    [
        {"filters": ["id:eq:99999999999999999999999"]},
        {"filters": ["id:in:99999999999999999999999,1"]},
        {"filters": ["owner:ne:99999999999999999999999"]},
        {"filters": ["custom.discount_percent:gt:1e309"]},
        {"filters": ["amount:gt:99999999999999"]},
        {"filters": ["created_at:gt:9999-12-31T23:59:59+00:00"]},
        {"filters": ["created_at:gt:0001-01-01T00:00:00+05:00"]},
        {"filters": ["created_at:gt:0001-01-01"]},
        {"filters": ["title:contains:%_\\"]},
        {"filters": ["title:eq:nul\x00"]},
        {"sort": "amount", "cursor": forged_cursor({"s": "amount", "v": "1e999999", "id": 1})},
        {"sort": "amount", "cursor": forged_cursor({"s": "amount", "v": "NaN", "id": 1})},
        {
            "sort": "-created_at",
            "cursor": forged_cursor({"s": "-created_at", "v": "2025-01-01T00:00:00", "id": 2**70}),
        },
        {
            "sort": "custom.quote_date",
            "cursor": forged_cursor({"s": "custom.quote_date", "v": 5, "id": 1}),
        },
    ],
)
def test_extreme_values_give_a_page_or_invalid_input_never_a_database_error(people, params):
    deal_create(actor=people.alice, data={"title": "x", "amount": "5"})
    try:
        page = record_page(people.alice, RecordType.DEAL, **params)
    except InvalidInput:
        return
    assert isinstance(page.items, list)
