"""The main journeys of issue 7 in a real browser: a rep works My day, drags a deal to Quoted and
is stopped until the required fields are filled, completes a chase task and logs a call; a
manager approves a discount and reviews the board."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from sopcrm.core.clock import now
from sopcrm.crm.records.models import Activity, ActivityStatus, Deal
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.transitions import record_transition

from ..web.conftest import QUOTE, walk
from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _deal(people, title: str, stage: str) -> Deal:
    deal = deal_create(actor=people.alice, data={"title": title})
    return walk(deal, stage, people.alice) if stage != "new" else deal


def _quote_today() -> dict[str, object]:
    today = now().date()
    return {**QUOTE, "quote_date": str(today), "quote_valid_until": str(today + timedelta(30))}


def test_a_rep_completes_an_overdue_task_from_my_day(page: Page, people) -> None:
    deal = _deal(people, "Hoffmann valves", "contacted")
    activity_create(
        actor=people.alice,
        data={"kind": "task", "subject": "Send the datasheet", "due_at": now(), "deal": deal.pk},
    )
    sign_in(page, "alice", "pw-alice-1")
    item = page.locator("li", has_text="Send the datasheet")
    item.get_by_text("Complete task").click()
    item.get_by_label("What happened").fill("Sent the DN50 datasheet by email.")
    item.get_by_role("button", name="Complete").click()
    expect(page.get_by_text("Done: Send the datasheet")).to_be_visible()
    task = Activity.objects.get(subject="Send the datasheet")
    assert task.status == ActivityStatus.DONE


def test_dragging_a_deal_to_quoted_asks_for_the_quote_and_refuses_it_empty(
    page: Page, people
) -> None:
    deal = _deal(people, "Saigon LED panels", "requirements_confirmed")
    sign_in(page, "alice", "pw-alice-1")
    page.goto("/deals/board/")
    page.locator(f"#deal-{deal.pk}").drag_to(page.locator(".board-column[data-stage=quoted]"))
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Quote sent").click()
    # The browser itself refuses the empty required fields; the dialog stays, nothing moves.
    expect(dialog.get_by_label("Quote date")).to_have_js_property("validity.valueMissing", True)
    expect(dialog).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == "requirements_confirmed"

    today = now().date()
    dialog.get_by_label("Quote date").fill(str(today))
    dialog.get_by_label("Quote valid until").fill(str(today - timedelta(days=1)))
    dialog.get_by_label("Quote channel").select_option("email")
    dialog.get_by_label("Core specifications").fill("LED panel 600x600, 40 W, CE")
    dialog.get_by_label("Quote type").select_option("range_with_preconditions")
    dialog.get_by_role("button", name="Quote sent").click()
    # The playbook's own rule, checked by the server: the form comes back with the message.
    expect(dialog).to_contain_text("The quote must be valid on or after the quote date.")
    deal.refresh_from_db()
    assert deal.stage == "requirements_confirmed"

    dialog.get_by_label("Quote valid until").fill(str(today + timedelta(days=30)))
    dialog.get_by_role("button", name="Quote sent").click()
    expect(page.get_by_text("Done: Quote sent")).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == "quoted"


def test_a_skipped_stage_is_refused_and_the_card_returns(page: Page, people) -> None:
    deal = _deal(people, "Lagos panels", "new")
    sign_in(page, "alice", "pw-alice-1")
    page.goto("/deals/board/")
    page.locator(f"#deal-{deal.pk}").drag_to(page.locator(".board-column[data-stage=quoted]"))
    expect(page.locator("#board-message")).to_contain_text("Contacted")
    expect(page.locator(f".board-column[data-stage=new] #deal-{deal.pk}")).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == "new"


def test_a_chase_task_needs_the_channel_and_the_feedback(page: Page, people) -> None:
    deal = _deal(people, "Casa ball valves", "requirements_confirmed")
    record_transition(deal, transition="send_quote", data=_quote_today(), actor=people.alice)
    chase = Activity.objects.get(deal=deal, status=ActivityStatus.OPEN, subject__contains="1st")
    sign_in(page, "alice", "pw-alice-1")
    page.goto(f"/deals/{deal.pk}/")
    item = page.locator("#open-tasks li", has_text=chase.subject)
    item.get_by_text("Complete task").click()
    item.get_by_label("What happened").fill("Called, the buyer is comparing two offers.")
    item.get_by_role("button", name="Complete").click()
    # S-15: each follow-up records its channel and the customer's feedback; not without them.
    expect(item.get_by_label("Channel")).to_have_js_property("validity.valueMissing", True)
    chase.refresh_from_db()
    assert chase.status == ActivityStatus.OPEN

    item.get_by_label("Channel").select_option("phone")
    item.get_by_label("Customer feedback").select_option("comparing_suppliers")
    item.get_by_label("New information it brought").select_option("new_proposal")
    item.get_by_role("button", name="Complete").click()
    expect(page.get_by_role("status")).to_have_text(f"Task completed: {chase.subject}")
    chase.refresh_from_db()
    assert chase.status == ActivityStatus.DONE
    deal.refresh_from_db()
    assert deal.substate == "pending_2nd"


def test_a_rep_logs_a_call_in_two_clicks(page: Page, people) -> None:
    deal = _deal(people, "Pacific pumps", "contacted")
    sign_in(page, "alice", "pw-alice-1")
    page.goto(f"/deals/{deal.pk}/")
    page.get_by_role("button", name="Call", exact=True).click()
    page.get_by_label("Summary").fill("Discussed the lead time; sends the drawing on Monday.")
    page.get_by_role("button", name="Log", exact=True).click()
    expect(page.locator("#timeline")).to_contain_text("Discussed the lead time")
    assert Activity.objects.filter(deal=deal, kind="call", channel="phone").count() == 1


def test_a_manager_approves_a_discount_from_my_day_and_sees_it_on_the_board(
    page: Page, people
) -> None:
    deal = _deal(people, "Hoffmann actuators", "requirements_confirmed")
    deal = deal_update(deal, actor=people.alice, data={"custom": {"discount_percent": 25}})
    held = record_transition(deal, transition="send_quote", data=_quote_today(), actor=people.alice)
    assert not held.executed
    sign_in(page, "east_manager", "pw-manager-1")
    approval = page.locator("li", has_text="Hoffmann actuators")
    expect(approval).to_contain_text("Discount above 20%")
    approval.get_by_role("button", name="Approve").click()
    page.wait_for_load_state("networkidle")
    deal.refresh_from_db()
    assert deal.stage == "quoted"

    page.get_by_role("link", name="Board").click()
    expect(page.locator(f".board-column[data-stage=quoted] #deal-{deal.pk}")).to_be_visible()
