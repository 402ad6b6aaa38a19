"""The pipeline board (S-07, S-15, S-23): a column per stage with the cards the user may see and
their warnings, in a fixed number of queries, and moving a card only along the playbook's
transitions, through the transition's form in a dialog."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sopcrm.core.models import Event, RecordType
from sopcrm.crm.records.board import board_view
from sopcrm.crm.records.models import ApprovalRequest
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.playbook.schema import ObjectType

from ..automation.conftest import at
from .conftest import walk

MONDAY = at(2025, 11, 3, 10)
HTMX = {"HX-Request": "true"}
STAGES = ["new", "contacted", "requirements_confirmed", "quoted", "following_up", "won", "lost"]
QUOTE_FORM = {
    "quote_date": "2025-11-03",
    "quote_valid_until": "2025-12-03",
    "quote_channel": "email",
    "core_specifications": "DN50 stainless, PN16",
    "quote_type": "range_with_preconditions",
    "lead_time_requirement": "30 days",
}


def _board(client, name="deal_board"):
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response


def _column(response, key):
    return next(c for c in response.context["columns"] if c.key == key)


def _titles(response, key):
    return [card.title for card in _column(response, key).cards]


def _badges(response, key):
    return [badge.text for card in _column(response, key).cards for badge in card.badges]


def _move(deal, stage, **query):
    url = reverse("deal_move", args=[deal.pk, stage])
    return f"{url}?transition={query['transition']}" if query else url


def _events(deal):
    return Event.objects.filter(record_type=RecordType.DEAL, record_id=deal.pk).count()


def test_board_has_a_column_per_stage_in_playbook_order(client_for, people):
    response = _board(client_for(people.alice))
    assert [c.key for c in response.context["columns"]] == STAGES
    html = response.content.decode()
    assert html.count("Closed in the last 30 days") == 2  # won and lost
    assert 'id="move-dialog"' in html
    assert "web/board.js" in html


def test_rep_sees_their_own_deals_in_the_column_of_their_stage(client_for, people):
    deal_create(actor=people.alice, data={"title": "Valves"})
    walk(deal_create(actor=people.alice, data={"title": "Pumps"}), "quoted", people.alice)
    deal_create(actor=people.bob, data={"title": "Bob's flanges"})
    response = _board(client_for(people.alice))
    assert _titles(response, "new") == ["Valves"]
    assert _titles(response, "quoted") == ["Pumps"]
    assert (_column(response, "new").count, _column(response, "quoted").count) == (1, 1)
    assert "Bob's flanges" not in response.content.decode()


def test_manager_sees_the_teams_deals(client_for, people):
    deal_create(actor=people.alice, data={"title": "Valves"})
    deal_create(actor=people.bob, data={"title": "Flanges"})
    deal_create(actor=people.wendy, data={"title": "West pipes"})
    response = _board(client_for(people.east_manager))
    assert sorted(_titles(response, "new")) == ["Flanges", "Valves"]


def test_lost_column_shows_only_deals_lost_in_the_last_30_days(client_for, people, frozen):
    frozen(MONDAY)
    walk(deal_create(actor=people.alice, data={"title": "Long lost"}), "lost", people.alice)
    frozen(MONDAY + timedelta(days=25))
    walk(deal_create(actor=people.alice, data={"title": "Just lost"}), "lost", people.alice)
    frozen(MONDAY + timedelta(days=35))
    response = _board(client_for(people.alice))
    assert _titles(response, "lost") == ["Just lost"]
    assert _column(response, "lost").count == 1


def test_card_shows_account_amount_owner_days_in_stage_and_next_task(client_for, people, frozen):
    frozen(MONDAY)
    deal = deal_create(actor=people.alice, data={"title": "Valves", "amount": "1200"})
    frozen(MONDAY + timedelta(hours=3))
    card = _column(_board(client_for(people.alice)), "new").cards[0]
    assert card.url == reverse("deal_detail", args=[deal.pk])
    assert (card.amount, card.owner, card.in_stage) == ("USD 1,200.00", "alice", "0 days in stage")
    assert card.task  # the playbook's first-contact task
    assert not card.task_overdue
    assert card.badges == []


def test_idle_overdue_and_no_contact_warnings_are_badges_with_text(client_for, people, frozen):
    frozen(MONDAY)
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal_update(deal, actor=people.alice, data={"custom": {"competitor": "A local maker"}})
    frozen(MONDAY + timedelta(days=3))  # New allows 1 idle day; first contact was due Tuesday
    response = _board(client_for(people.alice))
    card = _column(response, "new").cards[0]
    assert card.task_overdue
    assert _badges(response, "new") == ["Idle: over 1 day in this stage", "Overdue task"]
    html = response.content.decode()
    assert "Overdue task" in html and "Idle: over 1 day in this stage" in html


def test_lead_with_a_response_clock_at_risk_and_then_late(client_for, people, frozen):
    frozen(MONDAY)
    lead_create(actor=people.alice, data={"name": "Ana", "company": "Acme"})
    client = client_for(people.alice)
    frozen(at(2025, 11, 4, 7))  # at risk from 06:00, due at 10:00 (S-17)
    assert "Response due 2025-11-04 10:00" in _badges(_board(client, "lead_board"), "new")
    frozen(at(2025, 11, 4, 11))
    assert "Response late (due 2025-11-04 10:00)" in _badges(_board(client, "lead_board"), "new")


def test_lead_card_shows_name_and_company(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ana", "company": "Acme"})
    card = _column(_board(client_for(people.alice), "lead_board"), "new").cards[0]
    assert (card.title, card.subtitle, card.url) == (
        "Ana",
        "Acme",
        reverse("lead_detail", args=[lead.pk]),
    )


def test_a_full_column_is_capped_and_counts_the_rest(people):
    for n in range(3):
        deal_create(actor=people.alice, data={"title": f"Deal {n}"})
    board = board_view(people.alice, ObjectType.DEAL, limit=2)
    assert board is not None
    new = board.columns[0]
    assert (new.count, len(new.cards), new.more) == (3, 2, 1)


def test_more_link_goes_to_the_list_filtered_by_stage(client_for, people):
    deal_create(actor=people.alice, data={"title": "Valves"})
    column = _column(_board(client_for(people.alice)), "new")
    assert column.more_url == reverse("deal_list") + "?stage=new"


def test_board_queries_do_not_grow_with_the_number_of_cards(
    client_for, people, django_assert_max_num_queries
):
    # One card in each of the three columns first: a column costs one query, a card none.
    deal_create(actor=people.alice, data={"title": "New"})
    walk(deal_create(actor=people.alice, data={"title": "Contacted"}), "contacted", people.alice)
    walk(deal_create(actor=people.alice, data={"title": "Lost"}), "lost", people.alice)
    client = client_for(people.alice)
    with CaptureQueriesContext(connection) as one:
        _board(client)
    for n in range(10):
        deal_create(actor=people.alice, data={"title": f"New {n}"})
        walk(
            deal_create(actor=people.alice, data={"title": f"Contacted {n}"}),
            "contacted",
            people.alice,
        )
        walk(deal_create(actor=people.alice, data={"title": f"Lost {n}"}), "lost", people.alice)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = _board(client)
    assert sum(c.count for c in response.context["columns"]) == 33


def test_move_to_menu_lists_only_the_stages_the_user_may_move_to(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    card = _column(_board(client_for(people.alice)), "new").cards[0]
    assert [m.label for m in card.moves] == ["Contacted", "Lost"]
    assert card.moves[0].url == _move(deal, "contacted")


def test_move_to_the_next_stage_opens_the_form_of_its_one_transition(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(_move(deal, "contacted"), headers=HTMX)
    assert response.status_code == 200
    assert list(response.context["form"].fields) == [
        "first_contact_channel",
        "requirements_clear",
        "expected_purchase_time",
    ]
    html = response.content.decode()
    assert "<html" not in html
    assert f'hx-post="{_move(deal, "contacted", transition="contact")}"' in html
    assert "data-board-cancel" in html


def test_move_skipping_a_stage_is_refused_naming_the_allowed_stages(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(_move(deal, "quoted"), headers=HTMX)
    assert response["HX-Retarget"] == "#board-message"
    assert response.context["text"] == (
        "“Valves” cannot go from New to Quoted: stages cannot be skipped. "
        "It may go to: Contacted, Lost."
    )


def test_move_refusal_without_javascript_comes_back_to_the_board_with_the_message(
    client_for, people
):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(_move(deal, "won"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("deal_board"))
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "“Valves” cannot go from New to Won: stages cannot be skipped. "
        "It may go to: Contacted, Lost."
    ]


def test_moving_another_reps_deal_is_not_found(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.bob).get(_move(deal, "contacted"), headers=HTMX)
    assert response.status_code == 404


def test_posting_the_quote_form_without_its_fields_shows_errors_and_changes_nothing(
    client_for, people
):
    deal = walk(
        deal_create(actor=people.alice, data={"title": "V"}), "requirements_confirmed", people.alice
    )
    before = _events(deal)
    url = _move(deal, "quoted", transition="send_quote")
    response = client_for(people.alice).post(url, {}, headers=HTMX)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"quote_date", "quote_valid_until", "quote_channel", "core_specifications"} <= set(
        errors
    )
    assert 'class="field-error"' in response.content.decode()
    deal.refresh_from_db()
    assert (deal.stage, _events(deal)) == ("requirements_confirmed", before)


def test_posting_the_filled_form_moves_the_deal_and_the_board_says_done(client_for, people):
    deal = walk(
        deal_create(actor=people.alice, data={"title": "V"}), "requirements_confirmed", people.alice
    )
    client = client_for(people.alice)
    response = client.post(_move(deal, "quoted", transition="send_quote"), QUOTE_FORM, headers=HTMX)
    board_url = f"{reverse('deal_board')}?pipeline=export#deal-{deal.pk}"
    assert response["HX-Redirect"] == board_url
    deal.refresh_from_db()
    assert deal.stage == "quoted"
    page = _board(client)
    assert [str(m) for m in page.context["messages"]] == [
        "Done: Quote sent. Now in Quoted · Pending 1st follow-up."
    ]
    assert _titles(page, "quoted") == ["V"]


def test_a_step_waiting_for_approval_is_refused_on_the_board(client_for, people):
    deal = walk(
        deal_create(actor=people.alice, data={"title": "V"}), "requirements_confirmed", people.alice
    )
    deal_update(deal, actor=people.alice, data={"custom": {"discount_percent": 25}})
    client = client_for(people.alice)
    client.post(_move(deal, "quoted", transition="send_quote"), QUOTE_FORM, headers=HTMX)
    assert ApprovalRequest.objects.filter(deal=deal).count() == 1
    response = client.get(_move(deal, "quoted"), headers=HTMX)
    assert response.context["text"] == (
        "“V” is waiting for a manager's approval of “Quote sent”; it moves when the manager "
        "approves. It may go to: Lost."
    )
    assert "Waiting for approval" in _badges(_board(client), "requirements_confirmed")


def test_board_link_follows_deals_in_the_top_bar(client_for, people):
    html = _board(client_for(people.alice)).content.decode()
    deals = html.index(f'href="{reverse("deal_list")}"')
    assert html.index(f'href="{reverse("deal_board")}"', deals) > deals


def test_move_without_javascript_is_a_page_with_the_form_that_returns_to_the_board(
    client_for, people
):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    client = client_for(people.alice)
    page = client.get(_move(deal, "lost"))
    html = page.content.decode()
    assert "<html" in html and 'name="lost_note"' in html
    assert f'href="{reverse("deal_board")}?pipeline=export#deal-{deal.pk}"' in html  # Cancel
    response = client.post(
        _move(deal, "lost", transition="lose"),
        {
            "lost_reasons": ["price_too_high"],
            "lost_note": "Chose a supplier in Turkey.",
            "reactivation_likelihood": "unlikely",
        },
    )
    assert response.status_code == 302
    assert response.url == f"{reverse('deal_board')}?pipeline=export#deal-{deal.pk}"
    deal.refresh_from_db()
    assert deal.stage == "lost"
