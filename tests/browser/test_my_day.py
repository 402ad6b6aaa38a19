"""My day and the top bar's search in a real browser: completing a task swaps it in place, the
search dropdown is reached with the keyboard."""

from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import Page, expect

from sopcrm.core.clock import now
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.leads import lead_create

from .conftest import PHONE, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _overdue_task(people, subject):
    account = account_create(actor=people.alice, data={"name": f"{subject} Ltd"})
    with time_machine.travel(now() - timedelta(days=2)):
        return activity_create(
            actor=people.alice,
            data={
                "kind": "task",
                "subject": subject,
                "due_at": now() + timedelta(hours=1),
                "account": account.pk,
            },
        )


def test_completing_a_task_replaces_it_without_reloading_the_page(page: Page, people) -> None:
    _overdue_task(people, "Send samples")
    _overdue_task(people, "Call back")
    sign_in(page, "alice", "pw-alice-1")
    page.evaluate("window.notReloaded = true")
    item = page.locator("li", has_text="Send samples")
    item.get_by_text("Complete task").click()
    item.get_by_label("What happened").fill("Sent by DHL")
    item.get_by_role("button", name="Complete").click()
    expect(page.get_by_role("status").filter(has_text="Done: Send samples")).to_be_focused()
    expect(page.locator("#count-overdue")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path="/tmp/shots/my_day_laptop.png", full_page=True)


def test_the_search_dropdown_is_reached_with_the_keyboard(page: Page, people) -> None:
    lead_create(actor=people.alice, data={"name": "Ana Lima", "company": "Lima Pumps"})
    sign_in(page, "alice", "pw-alice-1")
    page.set_viewport_size(PHONE)
    page.get_by_label("Search leads, deals, accounts and contacts").fill("lima")
    link = page.locator("#top-search-results").get_by_role("link", name="Ana Lima")
    expect(link).to_be_visible()
    page.screenshot(path="/tmp/shots/search_phone.png", full_page=True)
    page.keyboard.press("Tab")  # the Search button
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Lima")
