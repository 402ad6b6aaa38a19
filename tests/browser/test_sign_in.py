"""Signing in and out in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rep_signs_in_and_lands_on_their_day(page: Page, people) -> None:
    sign_in(page, "alice", "pw-alice-1")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="alice")).to_be_visible()


def test_a_wrong_password_is_refused_with_a_message(page: Page, people) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
