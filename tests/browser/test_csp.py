"""The Content-Security-Policy does not break the UI: on the main pages (My day, the board, a
deal, the reports dashboard with its charts, the playbook with its diagrams, the e-mail composer,
the sign-in page) the browser reports no violation of the policy, and the scripts did their
work (htmx loaded, the charts and diagrams drawn)."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from sopcrm.crm.records.models import Deal
from sopcrm.crm.records.services.deals import deal_create

from ..web.conftest import walk
from .conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Collects every violation the page reports (the listener is added before any page script runs;
# scripts Playwright adds are not subject to the page's policy).
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def violations(page: Page) -> Callable[[], list[str]]:
    """The violations of the current page: from the DOM event and from the console."""
    console: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    def found() -> list[str]:
        return [*page.evaluate("window.__cspViolations || []"), *console]

    return found


def _deals(people) -> Deal:
    deal = deal_create(actor=people.alice, data={"title": "Hoffmann valves"})
    walk(deal, "quoted", people.alice)
    lost = deal_create(actor=people.alice, data={"title": "Saigon panels"})
    walk(lost, "lost", people.alice)
    return Deal.objects.get(pk=deal.pk)


def test_main_pages_report_no_policy_violation(page: Page, people, violations) -> None:
    deal = _deals(people)
    sign_in(page, "east_manager", "pw-manager-1")
    assert page.evaluate("typeof window.htmx") == "object"
    for path in ("/", "/deals/board/", f"/deals/{deal.pk}/", f"/deals/{deal.pk}/email/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof window.htmx") == "object", path
    assert violations() == []


def test_report_charts_draw_without_policy_violation(page: Page, people, violations) -> None:
    _deals(people)
    sign_in(page, "east_manager", "pw-manager-1")
    page.goto("/reports/")
    expect(page.locator("[data-chart] svg").first).to_be_visible()
    chart = page.locator("[data-chart]").first
    chart.hover()  # the tooltip writes styled HTML
    page.wait_for_timeout(300)
    assert violations() == []


def test_playbook_diagrams_draw_without_policy_violation(page: Page, people, violations) -> None:
    sign_in(page, "east_manager", "pw-manager-1")
    page.goto("/playbook/")
    expect(page.locator("svg").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    assert violations() == []


def test_sign_in_and_intake_pages_report_no_policy_violation(
    page: Page, people, violations
) -> None:
    page.goto("/intake/website/")
    page.wait_for_load_state("networkidle")
    sign_in(page, "alice", "pw-alice-1")
    assert violations() == []


def test_a_policy_violation_would_be_seen(page: Page, people, violations) -> None:
    """The control: an inline script the policy refuses is reported by the collector."""
    sign_in(page, "alice", "pw-alice-1")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in violations())
