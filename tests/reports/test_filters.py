"""The filters every report takes: parsed from query parameters with errors naming the parameter,
and applied on top of what the viewer may see."""

from datetime import date

import pytest

from sopcrm.core.errors import InvalidInput
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.reports.filters import month_period, report_filter, report_leads

TODAY = date(2026, 11, 18)


def _problems(params):
    with pytest.raises(InvalidInput) as error:
        report_filter(params, today=TODAY)
    return [(p.field, p.code) for p in error.value.problems]


def test_the_default_period_is_the_current_month_up_to_today():
    filters = report_filter({}, today=TODAY)
    assert (filters.start, filters.end) == (date(2026, 11, 1), TODAY)


def test_the_period_covers_whole_days_in_the_server_time_zone():
    filters = report_filter({"from": "2026-10-01", "to": "2026-10-31"}, today=TODAY)
    assert filters.start_at.isoformat() == "2026-10-01T00:00:00+08:00"
    assert filters.end_at.isoformat() == "2026-11-01T00:00:00+08:00"


def test_bad_parameters_are_all_named_at_once():
    assert _problems({"from": "2026-13-01", "team": "east", "country": "Germany"}) == [
        ("from", "invalid"),
        ("team", "invalid"),
        ("country", "invalid"),
    ]


def test_a_period_that_ends_before_it_starts_is_refused():
    assert _problems({"from": "2026-10-31", "to": "2026-10-01"}) == [("to", "before_start")]


def test_a_period_of_more_than_three_years_is_refused():
    assert _problems({"from": "2020-01-01", "to": "2026-01-01"}) == [("to", "too_long")]


def test_a_month_is_its_first_to_its_last_day():
    assert month_period("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(InvalidInput):
        month_period("2026-13")


def test_filters_go_back_to_query_parameters_for_drill_down_links():
    filters = report_filter({"from": "2026-10-01", "to": "2026-10-31", "rep": "7"}, today=TODAY)
    assert filters.as_params() == {"from": "2026-10-01", "to": "2026-10-31", "rep": "7"}


def test_a_rep_filter_never_widens_what_the_viewer_may_see(people):
    lead_create(actor=people.bob, data={"name": "Bob's", "source": "email"})
    mine = lead_create(actor=people.alice, data={"name": "Alice's", "source": "email"})
    as_alice = report_filter({"rep": str(people.bob.pk)}, today=TODAY)
    assert list(report_leads(people.alice, as_alice)) == []
    as_manager = report_filter({"rep": str(people.alice.pk)}, today=TODAY)
    assert list(report_leads(people.east_manager, as_manager)) == [mine]


def test_the_source_and_country_filters_narrow_the_leads(people):
    lead_create(actor=people.alice, data={"name": "Fair", "source": "trade_show", "country": "DE"})
    lead_create(actor=people.alice, data={"name": "Mail", "source": "email", "country": "DE"})
    filters = report_filter({"source": "trade_show", "country": "de"}, today=TODAY)
    assert [lead.name for lead in report_leads(people.alice, filters)] == ["Fair"]
