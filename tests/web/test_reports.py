"""The report dashboards (S-41..S-44): the manager's and the rep's, their filters, each chart
with its numbers beside it, and the drill-down from a chart segment to the records behind it.
The figures themselves are tested in tests/reports/; here: what the pages show and who sees
what."""

import io
import json

import openpyxl
from django.urls import reverse

from sopcrm.crm.records.services.deals import deal_create

from .conftest import walk


def _history(people):
    walk(deal_create(actor=people.alice, data={"title": "Valves"}), "quoted", people.alice)
    walk(deal_create(actor=people.alice, data={"title": "Pumps"}), "lost", people.alice)
    walk(deal_create(actor=people.wendy, data={"title": "West deal"}), "lost", people.wendy)


def _chart(response, key):
    html = response.content.decode()
    start = html.index(f'<script id="chart-{key}" type="application/json">') + len(
        f'<script id="chart-{key}" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_a_manager_sees_the_team_dashboard_with_a_chart_per_figure(client_for, people):
    _history(people)
    response = client_for(people.east_manager).get(reverse("reports"))
    assert response.status_code == 200
    funnel = _chart(response, "funnel")
    assert funnel["kind"] == "funnel"
    assert funnel["series"][0]["values"][:4] == [2, 1, 1, 1]  # new, contacted, confirmed, quoted
    assert {_chart(response, key)["kind"] for key in ("dwell", "trend", "lost")} == {"bar", "line"}


def test_each_chart_has_its_numbers_in_a_table(client_for, people):
    _history(people)
    html = client_for(people.east_manager).get(reverse("reports")).content.decode()
    assert html.count("<summary>Numbers</summary>") == 4


def test_a_rep_is_taken_to_their_own_figures(client_for, people):
    response = client_for(people.alice).get(reverse("reports") + "?from=2026-01-01")
    assert response.status_code == 302
    assert response.url == reverse("reports_me") + "?from=2026-01-01"


def test_a_reps_figures_count_only_their_records(client_for, people):
    _history(people)
    walk(deal_create(actor=people.bob, data={"title": "Bob's"}), "lost", people.bob)
    response = client_for(people.alice).get(reverse("reports_me"))
    assert response.context["lost"]["lost"] == 1
    assert [row["name"] for row in response.context["reps"]["rows"]] == ["alice"]


def test_a_manager_never_counts_another_teams_deals(client_for, people):
    _history(people)
    response = client_for(people.east_manager).get(reverse("reports"))
    assert response.context["lost"]["lost"] == 1  # Pumps; not the west team's deal


def test_a_chart_segment_opens_the_records_behind_it(client_for, people):
    _history(people)
    client = client_for(people.east_manager)
    funnel = _chart(client.get(reverse("reports")), "funnel")
    quoted = funnel["categories"].index("Quoted")
    response = client.get(funnel["links"][quoted])
    assert [row["record"].title for row in response.context["rows"]] == ["Valves"]


def test_a_lost_reason_bar_opens_the_deals_lost_for_that_reason(client_for, people):
    _history(people)
    client = client_for(people.east_manager)
    lost = _chart(client.get(reverse("reports")), "lost")
    response = client.get(lost["links"][0])
    assert [row["record"].title for row in response.context["rows"]] == ["Pumps"]


def test_bad_filters_are_named_beside_their_field_and_the_default_period_is_shown(
    client_for, people
):
    response = client_for(people.east_manager).get(reverse("reports") + "?from=2026-13-01")
    assert response.status_code == 200
    assert "from" in response.context["errors"]
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_drill_down_without_a_segment_is_refused_with_the_parameter_named(client_for, people):
    response = client_for(people.east_manager).get(reverse("reports_records") + "?value=x")
    assert response.status_code == 400
    assert "segment" in response.context["errors"]


def test_the_reports_page_needs_a_signed_in_user(client, db):
    response = client.get(reverse("reports"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_monthly_review_downloads_as_a_workbook(client_for, people):
    response = client_for(people.east_manager).get(reverse("reports_monthly") + "?month=2026-10")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sopcrm-review-2026-10.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 3


def test_a_bad_month_for_the_review_is_refused_with_its_name(client_for, people):
    response = client_for(people.east_manager).get(reverse("reports_monthly") + "?month=2026-13")
    assert response.status_code == 400
    assert response.content.decode().startswith("month:")


def test_an_example_the_manager_may_not_see_is_refused(client_for, people):
    west = deal_create(actor=people.wendy, data={"title": "West deal"})
    response = client_for(people.east_manager).get(
        reverse("reports_monthly") + f"?month=2026-10&won={west.pk}"
    )
    assert response.status_code == 400
    assert response.content.decode().startswith("won:")
