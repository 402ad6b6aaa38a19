"""What automation did is on the record's page: rule firings, SLA points, idle reminders."""

from django.urls import reverse

from sopcrm.automation.firing import timers_fire_due
from sopcrm.crm.records.services.leads import lead_create

from ..automation.conftest import at


def test_the_lead_page_shows_the_sla_breach_and_the_rule_that_fired(client_for, people, frozen):
    frozen(at(2025, 11, 3, 10))
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    frozen(at(2025, 11, 4, 10, 1))
    timers_fire_due()
    people.alice.language = "en"
    people.alice.save()
    html = client_for(people.alice).get(reverse("lead_detail", args=[lead.pk])).content.decode()
    assert "Rule “First response late” fired" in html
    assert "SLA breached: First response" in html
    assert "Automation" in html


def test_home_lists_the_inquiries_waiting_for_a_first_response(client_for, people, frozen):
    frozen(at(2025, 11, 3, 10))
    lead = lead_create(actor=people.alice, data={"name": "Ana"})
    frozen(at(2025, 11, 4, 7))  # past the at-risk point, before the target
    html = client_for(people.alice).get(reverse("home")).content.decode()
    assert reverse("lead_detail", args=[lead.pk]) in html
    assert "2025-11-04 10:00" in html
