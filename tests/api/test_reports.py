"""The reports over the API (`/api/reports/<name>`): the same figures as the dashboards, the
filters as query parameters, bad filters refused with the parameter named, and visibility."""

import pytest

from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.reports.filters import report_filter
from sopcrm.crm.reports.lost import lost_reasons_report

from ..web.conftest import walk
from .conftest import fields_of

NAMES = (
    "first-response",
    "funnel",
    "dwell",
    "quotes",
    "tasks",
    "lost-reasons",
    "reps",
    "best-practice",
)


@pytest.mark.parametrize("name", NAMES)
def test_every_report_answers_with_its_filters(people, token_as, name):
    response = token_as(people.east_manager).get(
        f"/reports/{name}", {"from": "2026-10-01", "to": "2026-10-31"}
    )
    assert response.status_code == 200
    assert response.json()["filters"] == {"from": "2026-10-01", "to": "2026-10-31"}


def test_the_api_gives_the_same_figures_as_the_report_function(people, token_as):
    walk(deal_create(actor=people.alice, data={"title": "Pumps"}), "lost", people.alice)
    body = token_as(people.east_manager).get("/reports/lost-reasons").json()
    expected = lost_reasons_report(people.east_manager, report_filter({})).as_dict()
    assert body == expected
    assert body["reasons"]["rows"][0]["share"] == {"part": 1, "whole": 1, "percent": 100.0}


def test_a_rep_gets_only_their_own_figures(people, token_as):
    walk(deal_create(actor=people.bob, data={"title": "Bob's"}), "lost", people.bob)
    body = token_as(people.alice).get("/reports/lost-reasons").json()
    assert body["lost"] == 0


def test_bad_filters_are_refused_naming_each_parameter(people, token_as):
    response = token_as(people.east_manager).get(
        "/reports/funnel", {"from": "2026-10-31", "to": "2026-10-01", "object": "account"}
    )
    assert response.status_code == 422
    assert fields_of(response) == [("object", "invalid")]


def test_a_period_that_ends_before_it_starts_is_refused(people, token_as):
    response = token_as(people.east_manager).get(
        "/reports/tasks", {"from": "2026-10-31", "to": "2026-10-01"}
    )
    assert response.status_code == 422
    assert fields_of(response) == [("to", "before_start")]


def test_reps_can_be_grouped_by_source(people, token_as):
    body = token_as(people.east_manager).get("/reports/reps", {"by": "source"}).json()
    assert body["by"] == "source"


def test_the_reports_need_authentication(client, db):
    assert client.get("/api/reports/funnel").status_code == 401


def test_a_nul_in_a_text_filter_is_refused_naming_it(people, token_as):
    # Schemathesis found a 500 on PostgreSQL, which cannot compare text holding NUL.
    response = token_as(people.admin).get("/reports/lost-reasons?product_line=a%00b")
    assert response.status_code == 422
    assert fields_of(response) == [("product_line", "invalid")]
