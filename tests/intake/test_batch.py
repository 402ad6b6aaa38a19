"""POST /api/leads/batch: each item through intake in its own transaction, good items in, bad ones
reported; duplicates inside the batch linked; more than 1000 refused."""

import pytest
from django.test import Client

from sopcrm.core.tokens import token_create
from sopcrm.crm.records.models import Activity, Lead

from .conftest import at, batch


def test_a_batch_of_three_with_one_invalid_item(admin_client, people, frozen):
    """Two go in, assigned in turn; the bad one is reported with every problem and adds nothing."""
    frozen(at(2025, 11, 5, 10))
    response = batch(
        admin_client,
        [
            {"name": "Ana Souza", "email": "ana@riopumps.com.br", "country": "BR"},
            {"email": "not an address", "country": "Atlantis"},
            {"name": "Li Wei", "company": "Shenzhen Pumps", "source": "b2b_platform"},
        ],
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["outcome"]) for r in results] == [
        (0, "created"),
        (1, "invalid"),
        (2, "created"),
    ]
    assert results[1]["lead"] is None
    assert {(e["field"], e["code"]) for e in results[1]["errors"]} == {
        ("name", "required"),
        ("email", "invalid"),
        ("country", "invalid"),
    }
    leads = Lead.objects.order_by("pk")
    assert [r["lead"] for r in results if r["lead"]] == [lead.pk for lead in leads]
    assert [(lead.name, lead.owner) for lead in leads] == [
        ("Ana Souza", people.alice),
        ("Li Wei", people.bob),
    ]
    assert leads[1].source == "b2b_platform"


def test_an_item_with_the_wrong_json_types_is_invalid_alone(admin_client):
    response = batch(admin_client, [{"name": 12}, {"name": "Ok", "colour": "red"}, {"name": "B"}])
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["invalid", "invalid", "created"]
    assert results[0]["errors"][0]["field"] == "name"
    assert (results[1]["errors"][0]["field"], results[1]["errors"][0]["code"]) == (
        "colour",
        "unknown_field",
    )
    assert Lead.objects.count() == 1


def test_received_at_in_the_past_starts_the_clock_then(admin_client, frozen):
    """An inquiry exported from a B2B platform that arrived Monday 9:00 is due Tuesday 9:00,
    whenever it is imported."""
    frozen(at(2025, 11, 5, 15))
    response = batch(
        admin_client, [{"name": "Old inquiry", "received_at": "2025-11-03T09:00:00+08:00"}]
    )
    lead = Lead.objects.get(pk=response.json()["results"][0]["lead"])
    assert lead.received_at == at(2025, 11, 3, 9)
    assert lead.assigned_at == at(2025, 11, 5, 15)
    task = Activity.objects.get(lead=lead, template_key="first_contact")
    assert task.due_at == at(2025, 11, 4, 9)


def test_a_received_at_in_the_future_is_invalid(admin_client, frozen):
    frozen(at(2025, 11, 5, 15))
    response = batch(admin_client, [{"name": "X", "received_at": "2025-12-01T09:00:00+08:00"}])
    assert response.json()["results"][0]["errors"][0]["code"] == "in_future"


def test_duplicates_inside_a_batch_and_with_earlier_leads_are_linked(admin_client):
    first = batch(admin_client, [{"name": "Hans", "email": "hans@acme.example"}])
    first_id = first.json()["results"][0]["lead"]
    response = batch(
        admin_client,
        [
            {"name": "Hans M.", "email": "HANS@acme.example"},
            {"name": "Pedro", "company": "Bombas Rio Ltda", "country": "BR"},
            {"name": "Pedro", "company": "Bombas Rio Limitada", "country": "BR"},
            {"name": "Ana", "email": "ana@gmail.com"},
            {"name": "Bea", "email": "bea@gmail.com"},
        ],
    )
    results = response.json()["results"]
    assert [(r["outcome"], r["duplicate_of"]) for r in results] == [
        ("linked", first_id),
        ("created", None),
        ("linked", results[1]["lead"]),
        ("created", None),
        ("created", None),
    ]
    assert Lead.objects.get(pk=results[0]["lead"]).duplicate_of_id == first_id


def test_more_than_1000_leads_is_refused_whole(admin_client):
    response = batch(admin_client, [{"name": f"L{n}"} for n in range(1001)])
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "leads"
    assert Lead.objects.count() == 0


def test_a_body_without_leads_is_422(admin_client):
    response = admin_client.post("/api/leads/batch", {"items": []}, content_type="application/json")
    assert response.status_code == 422


def test_a_batch_needs_a_signed_in_user_or_a_token(people):
    assert batch(Client(), [{"name": "X"}]).status_code == 401
    secret = token_create(user=people.east_manager, name="platform sync").secret
    response = batch(Client(headers={"Authorization": f"Bearer {secret}"}), [{"name": "X"}])
    assert response.json()["results"][0]["outcome"] == "created"
    assert Lead.objects.get().created_by == people.east_manager


@pytest.fixture
def alice_client(people):
    client = Client()
    client.force_login(people.alice)
    return client


def test_a_reps_batch_is_assigned_by_the_rules_unless_it_names_an_owner(alice_client, people):
    response = batch(
        alice_client,
        [{"name": "A"}, {"name": "B"}, {"name": "Mine", "owner": people.alice.pk}],
    )
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["created"] * 3
    assert [lead.owner for lead in Lead.objects.order_by("pk")] == [
        people.alice,
        people.bob,
        people.alice,
    ]
    # A rep cannot hand a lead to someone else.
    refused = batch(alice_client, [{"name": "Yours", "owner": people.bob.pk}])
    assert refused.json()["results"][0]["errors"][0]["code"] == "not_assignable"


def test_a_rep_is_told_of_a_duplicate_but_not_shown_another_reps_lead(alice_client, people):
    from sopcrm.crm.records.services.leads import lead_create

    lead_create(actor=people.wendy, data={"name": "Hans", "email": "hans@acme.example"})
    response = batch(alice_client, [{"name": "Hans", "email": "hans@acme.example"}])
    result = response.json()["results"][0]
    assert (result["outcome"], result["duplicate_of"]) == ("linked", None)
    assert result["lead"] is not None
