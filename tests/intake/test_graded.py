"""An inquiry taken in with its checklist answered is graded on the way in (S-27, S-28): a clear
inquiry from a strong buyer is grade A, high priority, with a 12-hour first response."""

from sopcrm.crm.records.models import Lead, SlaClock

from .conftest import at, batch

TWELVE = [
    "specification",
    "quantity",
    "lead_time",
    "certification",
    "material",
    "application",
    "target_price",
    "payment_terms",
    "packaging",
    "incoterm_port",
    "sample_needed",
    "decision_maker",
]


def test_a_batch_item_with_its_checklist_is_graded_and_gets_the_12_hour_target(
    admin_client, people, frozen
):
    frozen(at(2025, 11, 3, 10))
    response = batch(
        admin_client,
        [
            {
                "name": "Ana Souza",
                "email": "ana@riopumps.com.br",
                "custom": {"checklist": TWELVE, "buyer_strength": "strong"},
            }
        ],
    )
    lead = Lead.objects.get(pk=response.json()["results"][0]["lead"])
    assert (lead.custom["grade"], lead.custom["priority"], lead.custom["follow_up_track"]) == (
        "a",
        "high",
        "fast",
    )
    clock = SlaClock.objects.get(record_type="lead", record_id=lead.pk)
    assert clock.due_at == at(2025, 11, 3, 22)
