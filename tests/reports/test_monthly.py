"""The monthly SOP review (S-42): the three figures, a won and a lost example with their paths
against the playbook, the per-rep table; as an XLSX workbook and as CSV files with the same rows,
and a LibreOffice round trip."""

import csv
import io
import shutil
import subprocess
from datetime import datetime

import pytest
from django.utils import translation
from openpyxl import load_workbook

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import Event
from sopcrm.crm.records.models import Activity
from sopcrm.crm.records.services.activities import activity_complete, activity_create
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.transitions import record_exception_move, record_transition
from sopcrm.crm.reports.monthly import (
    ExampleNotFound,
    monthly_review,
    monthly_review_csv,
    monthly_review_xlsx,
)
from sopcrm.playbook.loader import bundled_playbook_path
from sopcrm.process.playbooks import playbook_activate

from ..api.flow import ALL_CLEAR
from ..web.conftest import CONFIRM, CONTACT
from .conftest import at

QUOTE = {
    "quote_date": "2026-10-14",
    "quote_valid_until": "2026-11-14",
    "quote_channel": "email",
    "core_specifications": "DN50 stainless, PN16",
    "quote_type": "range_with_preconditions",
}
FLOOR_PRICE = "77777.77"  # a manager-only field: it must never reach the review


def lose(reasons):
    return {
        "lost_reasons": reasons,
        "lost_note": "Chose another supplier.",
        "reactivation_likelihood": "unlikely",
    }


def move(deal, key, data, actor):
    return record_transition(deal, transition=key, data=data, actor=actor).record


def log(actor, kind, record):
    """A completed outbound contact (call, email, message) logged on a lead or a deal."""
    link = "lead" if record.__class__.__name__ == "Lead" else "deal"
    return activity_create(
        actor=actor, data={"kind": kind, "summary": "Followed up", link: record.pk}
    )


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def october(people, frozen):
    """October 2026, read on Monday 2 November 09:00.

    Leads: Alice's Ana (answered after 5 hours: in time) and Ben (answered two days later:
    late); Bob's Cem (never answered: late) and Eve (received on the 30th: not due yet); Wendy's
    Dora (answered after 6 hours). Alice also has an inquiry from 30 September (out of the month).

    Deals: Alice's Valves (18,000: quoted on the 14th, a chase task done by phone and an email
    after the quote, won on the 20th, a call after the win) and Pumps (5,000: quoted on the
    14th, two contacts after, lost on the 21st for price and lead time); Bob's Flanges (9,000:
    moved to Quoted by the manager's exception, lost on the 19th for price), Gaskets (quoted on
    the 15th, a message after, still open) and Seals (3,000: lost on the 23rd for certification
    and lead time); Wendy's Hoses (30,000: lost on the 22nd, stable supplier). Alice also lost a
    50,000 deal in September. Valves and Flanges carry a manager-only floor price."""
    p = people
    frozen(at(2026, 9, 14, 10))
    september = deal_create(actor=p.alice, data={"title": "September", "amount": "50000"})
    frozen(at(2026, 9, 15, 10))
    move(september, "lose", lose(["spec_mismatch"]), p.alice)
    frozen(at(2026, 9, 30, 10))
    lead_create(actor=p.alice, data={"name": "Old inquiry"})

    frozen(at(2026, 10, 12, 10))
    ana = lead_create(actor=p.alice, data={"name": "Ana", "company": "Acme"})
    valves = deal_create(actor=p.alice, data={"title": "Valves", "amount": "18000"})
    pumps = deal_create(actor=p.alice, data={"title": "Pumps", "amount": "5000"})
    frozen(at(2026, 10, 12, 15))
    log(p.alice, "call", ana)
    valves = move(valves, "contact", CONTACT, p.alice)
    pumps = move(pumps, "contact", CONTACT, p.alice)

    frozen(at(2026, 10, 13, 10))
    ben = lead_create(actor=p.alice, data={"name": "Ben"})
    flanges = deal_create(actor=p.bob, data={"title": "Flanges", "amount": "9000"})
    gaskets = deal_create(actor=p.bob, data={"title": "Gaskets"})
    log(p.alice, "call", valves)  # before the quote: not a follow-up after it
    valves = move(valves, "confirm_requirements", CONFIRM, p.alice)
    pumps = move(pumps, "confirm_requirements", CONFIRM, p.alice)
    for deal in (valves, flanges):
        deal_update(
            deal,
            actor=p.east_manager,
            data={"custom": {"floor_price": {"amount": FLOOR_PRICE, "currency": "USD"}}},
        )

    frozen(at(2026, 10, 14, 10))
    lead_create(actor=p.bob, data={"name": "Cem"})
    valves = move(valves, "send_quote", QUOTE, p.alice)
    pumps = move(pumps, "send_quote", QUOTE, p.alice)
    flanges = move(flanges, "contact", CONTACT, p.bob)

    frozen(at(2026, 10, 15, 10))
    log(p.alice, "email", ben)
    dora = lead_create(actor=p.wendy, data={"name": "Dora"})
    flanges = record_exception_move(
        flanges, to_stage="quoted", reason="The customer sent a PO draft", actor=p.east_manager
    )
    gaskets = move(gaskets, "contact", CONTACT, p.bob)
    gaskets = move(gaskets, "confirm_requirements", CONFIRM, p.bob)
    frozen(at(2026, 10, 15, 11))
    gaskets = move(gaskets, "send_quote", QUOTE, p.bob)
    frozen(at(2026, 10, 15, 16))
    log(p.wendy, "call", dora)

    frozen(at(2026, 10, 16, 10))
    log(p.alice, "call", pumps)
    frozen(at(2026, 10, 16, 11))
    activity_complete(
        Activity.objects.get(deal=valves, template_key="chase_1"),
        actor=p.alice,
        data={
            "channel": "phone",
            "summary": "Received, no questions",
            "feedback_type": "interested",
            "new_information": "new_material",
        },
    )

    frozen(at(2026, 10, 19, 10))
    log(p.alice, "email", valves)
    flanges.refresh_from_db()
    move(flanges, "lose", lose(["price_too_high"]), p.bob)

    frozen(at(2026, 10, 20, 10))
    log(p.bob, "message", gaskets)
    log(p.alice, "email", pumps)
    valves.refresh_from_db()
    valves = deal_update(valves, actor=p.alice, data={"custom": {"checklist": ALL_CLEAR}})
    valves = move(valves, "win", {"amount": "18000"}, p.alice)

    frozen(at(2026, 10, 21, 10))
    move(pumps, "lose", lose(["price_too_high", "lead_time_too_long"]), p.alice)

    frozen(at(2026, 10, 22, 10))
    log(p.alice, "call", valves)  # after the win: not counted up to the close
    hoses = deal_create(actor=p.wendy, data={"title": "Hoses", "amount": "30000"})
    move(hoses, "lose", lose(["stable_supplier"]), p.wendy)

    frozen(at(2026, 10, 23, 10))
    seals = deal_create(actor=p.bob, data={"title": "Seals", "amount": "3000"})
    move(seals, "lose", lose(["certification_not_met", "lead_time_too_long"]), p.bob)

    frozen(at(2026, 10, 30, 10))
    lead_create(actor=p.bob, data={"name": "Eve"})
    frozen(at(2026, 11, 2, 9))
    return {
        "valves": valves,
        "pumps": pumps,
        "flanges": flanges,
        "gaskets": gaskets,
        "hoses": hoses,
        "seals": seals,
        "september": september,
    }


def figures(review):
    """(label, item, value, numerator, denominator) of each Summary figure, rates rounded."""
    return [
        (
            f.label,
            f.item,
            round(f.value, 4) if f.value is not None else None,
            f.numerator,
            f.denominator,
        )
        for f in review.figures
    ]


def stays(path):
    return [(s.stage, s.days, s.idle_days, s.over_limit, s.exception) for s in path.stays]


def csv_rows(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def workbook(review):
    return load_workbook(io.BytesIO(monthly_review_xlsx(review)))


# --- The three figures -------------------------------------------------------------------------


def test_the_response_rate_is_the_months_leads_answered_in_time_of_those_due(people, october):
    figure = monthly_review(people.east_manager, "2026-10").response_rate
    # Ana in time; Ben and Cem late; Eve not due yet; Dora is West's; the September lead is out.
    assert (figure.value, figure.numerator, figure.denominator) == (1 / 3, 1, 3)
    assert figure.is_rate and figure.note.endswith("1 not due yet.")


def test_follow_ups_after_a_quote_average_the_contacts_from_the_first_quote_to_the_close(
    people, october
):
    figure = monthly_review(people.east_manager, "2026-10").follow_ups_after_quote
    # Valves 2 (the chase task by phone, an email; not the call before nor the one after),
    # Pumps 2, Flanges 0 (quoted by exception), Gaskets 1.
    assert (figure.value, figure.numerator, figure.denominator) == (1.25, 5, 4)
    assert not figure.is_rate


def test_the_top_three_lost_reasons_are_shares_of_the_deals_lost_in_the_month(people, october):
    review = monthly_review(people.admin, "2026-10")
    # Four lost in October (Flanges, Pumps, Hoses, Seals); the certification and the stable
    # supplier tie at one: the field's option order decides.
    assert figures(review)[2:] == [
        ("Lost reason 1", "Price too high", 0.5, 2, 4),
        ("Lost reason 2", "Lead time too long", 0.5, 2, 4),
        ("Lost reason 3", "Certification not met", 0.25, 1, 4),
    ]


def test_the_summary_figures_of_the_admin(people, october):
    assert figures(monthly_review(people.admin, "2026-10"))[:2] == [
        ("24-hour response rate", "", 0.5, 2, 4),
        ("Average follow-ups after a quote", "", 1.25, 5, 4),
    ]


# --- The examples ------------------------------------------------------------------------------


def test_the_examples_are_the_largest_won_and_lost_deals_closed_in_the_month(people, october):
    review = monthly_review(people.east_manager, "2026-10")
    # Lost in October in East: Flanges 9,000, Pumps 5,000, Seals 3,000 (September's 50,000 and
    # West's Hoses are not the team's month).
    assert (review.won.deal.title, review.lost.deal.title) == ("Valves", "Flanges")


def test_the_won_example_shows_each_stay_against_the_idle_limit_and_each_task(people, october):
    path = monthly_review(people.east_manager, "2026-10").won
    assert stays(path) == [
        ("new", 0.2, 1, False, ""),
        ("contacted", 0.8, 3, False, ""),
        ("requirements_confirmed", 1.0, 5, False, ""),
        ("quoted", 6.0, 7, False, ""),
        ("won", 0.0, None, False, ""),
    ]
    outcomes = [(t.template, t.outcome) for t in path.tasks if t.outcome != "cancelled"]
    assert outcomes == [
        ("first_contact", "on_time"),
        ("chase_1", "on_time"),
        ("order_confirmation", "overdue"),
        ("production_followup", "open"),
        ("after_sales_followup", "open"),
        ("review_request", "open"),
    ]
    assert (path.on_time.part, path.on_time.whole, path.follow_ups, path.exceptions) == (2, 3, 5, 0)


def test_the_lost_example_shows_the_exception_on_the_stage_it_left(people, october):
    path = monthly_review(people.east_manager, "2026-10").lost
    assert stays(path) == [
        ("new", 1.0, 1, False, ""),
        ("contacted", 1.0, 3, False, "The customer sent a PO draft"),
        ("quoted", 4.0, 7, False, ""),
        ("lost", 0.0, None, False, ""),
    ]
    assert (path.exceptions, path.follow_ups) == (1, 1)


def test_a_deal_named_as_an_example_replaces_the_chosen_one(people, october):
    review = monthly_review(people.east_manager, "2026-10", lost=october["pumps"].pk)
    assert (review.won.deal.title, review.lost.deal.title) == ("Valves", "Pumps")


def test_a_named_example_may_be_closed_in_another_month(people, october):
    review = monthly_review(people.alice, "2026-10", lost=october["september"].pk)
    assert review.lost.deal.title == "September"


def test_an_example_the_viewer_may_not_see_is_not_found_naming_the_parameter(people, october):
    with pytest.raises(ExampleNotFound) as raised:
        monthly_review(people.alice, "2026-10", lost=october["flanges"].pk)
    assert raised.value.field == "lost"


def test_an_example_that_is_not_won_is_refused_naming_won(people, october):
    with pytest.raises(InvalidInput) as raised:
        monthly_review(people.east_manager, "2026-10", won=october["pumps"].pk)
    assert [(p.field, p.code) for p in raised.value.problems] == [("won", "not_won")]


def test_an_example_that_is_not_lost_is_refused_naming_lost(people, october):
    with pytest.raises(InvalidInput) as raised:
        monthly_review(people.east_manager, "2026-10", lost=october["gaskets"].pk)
    assert [(p.field, p.code) for p in raised.value.problems] == [("lost", "not_lost")]


# --- The reps table, who sees what -------------------------------------------------------------

REPS_HEADER = [
    "Rep",
    "Leads",
    "Deals closed",
    "Won",
    "Win rate",
    "Follow-ups",
    "Follow-ups per deal",
    "Response time (hours, median)",
    "Answered in time",
    "Responses due",
    "SLA hit rate",
    "Tasks due",
    "Tasks on time",
    "On-time tasks",
    "Exceptions",
]


def test_the_reps_sheet_has_a_row_per_rep_and_the_total(people, october):
    rows = csv_rows(monthly_review_csv(monthly_review(people.east_manager, "2026-10"))["reps"])
    # Follow-ups: completed outbound contacts on the deals closed in the month, up to the close
    # (Valves: the first contact, the call before the quote, the chase, the email; Pumps: the
    # first contact and two). Tasks due in October: Alice's three lead tasks (one from the
    # September inquiry, due after the National Day holiday), Valves' first contact, chase and
    # order confirmation, Pumps' first contact; Bob's: Cem's, Flanges' first contact, Gaskets'
    # first contact (done late) and its four quote tasks.
    assert rows[4:] == [
        REPS_HEADER,
        ["alice", "2", "2", "1", "50.0%", "7", "3.50", "5.0", "1", "2", "50.0%", "7", "3",
         "42.9%", "0"],
        ["bob", "2", "2", "0", "0.0%", "1", "0.50", "—", "0", "1", "0.0%", "7", "1", "14.3%",
         "1"],
        ["Total", "4", "4", "1", "25.0%", "8", "2.00", "5.0", "1", "3", "33.3%", "14", "4",
         "28.6%", "1"],
    ]  # fmt: skip


def test_a_rep_sees_only_their_own_figures(people, october):
    review = monthly_review(people.alice, "2026-10")
    assert figures(review) == [
        ("24-hour response rate", "", 0.5, 1, 2),
        ("Average follow-ups after a quote", "", 2.0, 4, 2),
        ("Lost reason 1", "Price too high", 1.0, 1, 1),
        ("Lost reason 2", "Lead time too long", 1.0, 1, 1),
    ]
    assert (review.won.deal.title, review.lost.deal.title) == ("Valves", "Pumps")
    assert [row.name for row in review.reps.rows] == ["alice"]
    assert review.scope == "own records of alice"


def test_a_team_narrows_the_review_to_its_members(people, october):
    review = monthly_review(people.admin, "2026-10", team=people.west.pk)
    assert figures(review) == [
        ("24-hour response rate", "", 1.0, 1, 1),
        ("Average follow-ups after a quote", "", None, 0, 0),
        ("Lost reason 1", "Stable existing supplier", 1.0, 1, 1),
    ]
    assert (review.won, review.lost.deal.title) == (None, "Hoses")
    assert [row.name for row in review.reps.rows] == ["wendy"]
    assert review.title == "Monthly SOP review: October 2026, team West"


def test_a_manager_only_field_never_appears(people, october):
    october["valves"].refresh_from_db()
    assert october["valves"].custom["floor_price"]["amount"] == FLOOR_PRICE  # it is there
    for user in (people.east_manager, people.alice):
        review = monthly_review(user, "2026-10", lost=october["pumps"].pk)
        texts = "".join(monthly_review_csv(review).values())
        cells = [
            str(cell.value)
            for sheet in workbook(review).worksheets
            for row in sheet.iter_rows()
            for cell in row
        ]
        assert "77777" not in texts
        assert not [cell for cell in cells if "77777" in cell]


# --- Not available -----------------------------------------------------------------------------


def test_a_figure_without_a_population_is_a_dash_with_a_note_never_zero(people, october):
    review = monthly_review(people.admin, "2026-08")
    assert [(f.value, f.numerator, f.denominator, f.note) for f in review.figures] == [
        (None, 0, 0, "No lead received in the month has had a response due yet."),
        (None, 0, 0, "No deal was quoted in the month."),
        (None, 0, 0, "No deal was lost in the month."),
    ]
    summary = workbook(review)["Summary"]
    assert [summary.cell(row, 3).value for row in (6, 7, 8)] == ["—", "—", "—"]
    assert (review.won, review.lost) == (None, None)


def test_a_key_the_playbook_does_not_name_is_not_set_up(people, october):
    source = bundled_playbook_path("export_trade").read_text()
    source = source.replace("    reports:\n      response_sla: first_response\n", "", 1)
    source = source.replace("      lost_reasons: lost_reasons\n", "", 1)
    source = source.replace("      quote_stage: quoted\n", "", 1)
    playbook_activate(source=source, source_name="no_reports.yaml", actor=people.admin)
    review = monthly_review(people.admin, "2026-10")
    assert [(f.value, f.numerator, f.denominator, f.note) for f in review.figures] == [
        (None, None, None, "Not set up in the playbook (reports.response_sla)."),
        (None, None, None, "Not set up in the playbook (reports.quote_stage)."),
        (None, None, None, "Not set up in the playbook (reports.lost_reasons)."),
    ]
    rows = csv_rows(monthly_review_csv(review)["summary"])
    assert [row[2:5] for row in rows[5:]] == [["—", "", ""]] * 3


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "options", "field"),
    [
        ("2026-13", {}, "month"),
        ("October", {}, "month"),
        ("2026-10", {"team": 999_999}, "team"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter_and_changes_nothing(
    people, october, month, options, field
):
    events = Event.objects.count()
    with pytest.raises(InvalidInput) as raised:
        monthly_review(people.admin, month, **options)
    assert [p.field for p in raised.value.problems] == [field]
    assert Event.objects.count() == events


# --- The workbook and the CSV files ------------------------------------------------------------


def test_the_workbook_has_the_three_sheets_with_numbers_percents_and_dates(people, october):
    book = workbook(monthly_review(people.east_manager, "2026-10"))
    assert book.sheetnames == ["Summary", "Examples", "Reps"]
    summary = book["Summary"]
    assert summary["A1"].value == "Monthly SOP review: October 2026, team East"
    assert (summary["B2"].value, summary["C2"].value) == (
        datetime(2026, 10, 1),
        datetime(2026, 10, 31),
    )
    assert summary["B2"].number_format == "yyyy-mm-dd"
    assert summary["C3"].value == datetime(2026, 11, 2, 9)
    assert [c.value for c in summary[5]] == [
        "Figure",
        "Item",
        "Value",
        "Numerator",
        "Denominator",
        "Note",
    ]
    rate = summary["C6"]
    assert (rate.value, rate.number_format, summary["D6"].value, summary["E6"].value) == (
        0.333,  # one decimal of a percent, as the dashboards show it
        "0.0%",
        1,
        3,
    )
    assert (summary["C7"].value, summary["C7"].number_format) == (1.25, "0.00")
    assert [summary.cell(row, 2).value for row in (8, 9, 10)] == [
        "Price too high",
        "Lead time too long",
        "Certification not met",
    ]
    assert summary["C8"].value == 0.667


def test_the_examples_sheet_holds_each_deals_path_with_dates(people, october):
    examples = workbook(monthly_review(people.east_manager, "2026-10"))["Examples"]
    rows = [[cell.value for cell in row] for row in examples.iter_rows()]
    assert rows[4][0] == "Won example"
    assert rows[5][:3] == ["Deal", "Valves", october["valves"].pk]
    assert rows[7][:3] == ["Amount", 18000, "USD"]
    assert rows[14][:2] == [
        "Path the playbook prescribes",
        "New (≤1 d) → Contacted (≤3 d) → Requirements confirmed (≤5 d) → Quoted (≤7 d) → "
        "Following up (≤7 d) → Won",
    ]
    assert rows[15][:2] == ["Path taken", "New → Contacted → Requirements confirmed → Quoted → Won"]
    assert rows[17][:7] == [
        "Stage",
        "Entered",
        "Left",
        "Days",
        "Idle limit (days)",
        "Within the limit",
        "Exception",
    ]
    assert rows[18][:6] == [
        "New",
        datetime(2026, 10, 12, 10),
        datetime(2026, 10, 12, 15),
        0.2,
        1,
        "Yes",
    ]
    lost_at = next(i for i, row in enumerate(rows) if row[0] == "Lost example")
    assert rows[lost_at + 1][1] == "Flanges"


def test_the_workbook_has_no_formulas_no_merged_cells_and_set_column_widths(people, october):
    deal_update(october["valves"], actor=people.alice, data={"title": '=HYPERLINK("http://x")'})
    review = monthly_review(people.east_manager, "2026-10")
    book = workbook(review)
    for sheet in book.worksheets:
        assert not sheet.merged_cells.ranges
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        assert sheet.column_dimensions["A"].width >= 8
    assert book["Examples"]["B6"].value == '=HYPERLINK("http://x")'
    assert "'=HYPERLINK" in monthly_review_csv(review)["examples"]


def test_the_csv_files_hold_the_same_rows_as_the_sheets(people, october):
    review = monthly_review(people.east_manager, "2026-10")
    texts = monthly_review_csv(review)
    book = workbook(review)
    assert list(texts) == ["summary", "examples", "reps"]
    for key, sheet in zip(texts, book.worksheets, strict=True):
        assert len(csv_rows(texts[key])) == sheet.max_row
    summary = csv_rows(texts["summary"])
    assert summary[1] == ["Period", "2026-10-01", "2026-10-31"]
    assert [row[:5] for row in summary[5:]] == [
        ["24-hour response rate", "", "33.3%", "1", "3"],
        ["Average follow-ups after a quote", "", "1.25", "5", "4"],
        ["Lost reason 1", "Price too high", "66.7%", "2", "3"],
        ["Lost reason 2", "Lead time too long", "66.7%", "2", "3"],
        ["Lost reason 3", "Certification not met", "33.3%", "1", "3"],
    ]
    assert texts["summary"].count("\r\n") == len(summary)


def test_the_review_speaks_the_viewers_language(people, october):
    with translation.override("zh-hans"):
        review = monthly_review(people.east_manager, "2026-10")
        texts = monthly_review_csv(review)
        book = workbook(review)
    assert "2026年10月" in csv_rows(texts["summary"])[0][0]
    assert "新线索 → 已联系 → 需求确认 → 已报价 → 赢单" in texts["examples"]
    assert book.sheetnames[0] == "摘要"
    assert book.worksheets[0]["B8"].value == "价格太高"
    assert texts["examples"].encode("utf-8").startswith(b"\xef\xbb\xbf")


# --- LibreOffice -------------------------------------------------------------------------------


def test_libreoffice_opens_the_workbook_and_converts_the_summary_with_its_figures(
    people, october, tmp_path
):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc)")
    source = tmp_path / "review.xlsx"
    source.write_bytes(monthly_review_xlsx(monthly_review(people.east_manager, "2026-10")))
    profile = (tmp_path / "profile").as_uri()  # its own profile: runs in parallel never clash
    subprocess.run(
        [
            office,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    rows = list(csv.reader((tmp_path / "out" / "review.csv").open(encoding="utf-8")))
    assert rows[0][0] == "Monthly SOP review: October 2026, team East"
    assert rows[1][:3] == ["Period", "2026-10-01", "2026-10-31"]
    assert [row[:5] for row in rows[5:8]] == [
        ["24-hour response rate", "", "33.3%", "1", "3"],
        ["Average follow-ups after a quote", "", "1.25", "5", "4"],
        ["Lost reason 1", "Price too high", "66.7%", "2", "3"],
    ]
