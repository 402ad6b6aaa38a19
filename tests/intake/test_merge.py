"""Merging two leads that are one buyer (S-25): the page shows the differing fields side by side;
merging writes the chosen values to the kept lead, moves the activities, closes the other lead
as merged, and both timelines tell it."""

import pytest
from django.test import Client

from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.crm.records.models import Activity, ActivityStatus, Lead
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.intake import lead_intake
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.transitions import record_exception_move


def events(lead, kind):
    return list(
        Event.objects.filter(record_type=RecordType.LEAD, record_id=lead.pk, kind=kind).order_by(
            "pk"
        )
    )


@pytest.fixture
def pair(people):
    """Alice's lead from the phone and the same buyer's web inquiry, linked as a duplicate."""
    keep = lead_create(
        actor=people.alice,
        data={"name": "Hans Müller", "email": "hans@acme.example", "company": "Acme"},
    )
    absorb = lead_intake(
        data={
            "name": "Hans Müller",
            "email": "h.mueller@acme.example",
            "phone": "+49 30 901820",
            "company": "Acme GmbH",
            "owner": people.alice.pk,
            "custom": {"quantity": 500},
        },
        actor=people.alice,
    ).lead
    assert absorb.duplicate_of == keep
    activity_create(
        actor=people.alice,
        data={"kind": "call", "summary": "Wants 500 valves by March.", "lead": absorb.pk},
    )
    return keep, absorb


def url(keep, absorb):
    return f"/leads/{keep.pk}/merge/{absorb.pk}/"


@pytest.fixture
def alice(people):
    client = Client()
    client.force_login(people.alice)
    return client


def test_the_page_shows_a_choice_for_each_differing_field(alice, pair):
    keep, absorb = pair
    response = alice.get(url(keep, absorb), headers={"Accept-Language": "en"})
    assert response.status_code == 200
    names = [choice.name for choice in response.context["choices"]]
    assert names == ["company", "email", "phone", "custom.quantity"]
    page = response.content.decode()
    assert 'name="choose:email" value="absorb"' in page
    assert "h.mueller@acme.example" in page
    assert 'name="choose:name"' not in page  # the same on both


def test_merging_keeps_the_chosen_values_and_moves_the_history(alice, people, pair):
    keep, absorb = pair
    first_contact = Activity.objects.get(lead=absorb, template_key="first_contact")
    response = alice.post(
        url(keep, absorb),
        {"choose:email": "absorb", "choose:phone": "absorb", "choose:company": "keep"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/leads/{keep.pk}/"
    keep.refresh_from_db()
    absorb.refresh_from_db()
    assert (keep.email, keep.phone, keep.company) == (
        "h.mueller@acme.example",
        "+4930901820",
        "Acme",
    )
    changed = {e.data["field"] for e in events(keep, EventKind.FIELD_CHANGED)}
    assert changed == {"email", "phone"}
    # The absorbed lead is closed as merged, linked to the kept one; its open tasks cancelled.
    assert (absorb.stage, absorb.duplicate_of) == ("disqualified", keep)
    entered = events(absorb, EventKind.STAGE_ENTERED)[-1]
    assert entered.data["exception"].startswith(f"Merged into lead #{keep.pk}")
    first_contact.refresh_from_db()
    assert first_contact.status == ActivityStatus.CANCELLED
    # Its activities now belong to the kept lead.
    assert not Activity.objects.filter(lead=absorb).exists()
    assert Activity.objects.filter(lead=keep, summary="Wants 500 valves by March.").exists()
    # Both timelines tell it.
    [merged_in] = events(keep, EventKind.MERGED)
    assert merged_in.data["absorbed"] == absorb.pk
    assert merged_in.data["chosen"] == ["email", "phone"]
    [merged_away] = events(absorb, EventKind.MERGED)
    assert merged_away.data["merged_into"] == keep.pk
    assert merged_away.data["activities"] == merged_in.data["activities"]
    # The absorbed lead's page still opens, with its history.
    assert alice.get(f"/leads/{absorb.pk}/").status_code == 200


def test_merging_the_other_way_round_clears_the_reverse_link(alice, pair):
    keep, absorb = pair
    alice.post(url(absorb, keep), {})
    keep.refresh_from_db()
    absorb.refresh_from_db()
    assert (absorb.duplicate_of, keep.duplicate_of) == (None, absorb)
    assert keep.stage == "disqualified"


def test_a_lead_you_cannot_see_is_404(people, pair):
    keep, absorb = pair
    other = lead_create(actor=people.bob, data={"name": "Bob's"})
    client = Client()
    client.force_login(people.alice)
    assert client.get(url(keep, other)).status_code == 404
    assert client.post(url(keep, other), {}).status_code == 404
    assert Lead.objects.get(pk=other.pk).stage == "new"
    west = Client()
    west.force_login(people.west_manager)
    assert west.get(url(keep, absorb)).status_code == 404


def test_a_manager_merges_leads_of_two_reps_of_the_team(people):
    alices = lead_create(actor=people.alice, data={"name": "Hans"})
    bobs = lead_create(actor=people.bob, data={"name": "Hans M."})
    client = Client()
    client.force_login(people.east_manager)
    response = client.post(url(alices, bobs), {"choose:name": "absorb", "choose:owner": "keep"})
    assert response.status_code == 302
    alices.refresh_from_db()
    assert (alices.name, alices.owner) == ("Hans M.", people.alice)
    assert Lead.objects.get(pk=bobs.pk).stage == "disqualified"


def test_a_converted_lead_cannot_be_absorbed(alice, people, pair):
    keep, absorb = pair
    record_exception_move(
        absorb, to_stage="converted", reason="Won on the phone", actor=people.east_manager
    )
    response = alice.post(url(keep, absorb), {})
    assert response.status_code == 422
    assert "merge the other way round" in response.content.decode()
    assert Lead.objects.get(pk=absorb.pk).stage == "converted"


def test_the_merge_needs_the_csrf_token(people, pair):
    keep, absorb = pair
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.alice)
    assert client.post(url(keep, absorb), {}).status_code == 403
    assert Lead.objects.get(pk=absorb.pk).stage == "new"


def test_a_lead_cannot_be_merged_into_itself(alice, pair):
    keep, _absorb = pair
    response = alice.post(url(keep, keep), {})
    assert response.status_code == 422
    assert Lead.objects.get(pk=keep.pk).stage == "new"
