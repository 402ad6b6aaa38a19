"""Converting a qualified lead (S-05) through the playbook's explicit mapping: account, contact
and deal get the mapped values, and nothing else is copied."""

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import Deal
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.transitions import record_transition


def qualified_lead(people, **data):
    lead = lead_create(
        actor=people.alice,
        data={
            "name": "Ana Silva",
            "email": "ana@acme.example",
            "country": "BR",
            "custom": {"region": "latam", "industry": "Valves"},
            **data,
        },
    )
    steps = [
        (
            "contact",
            {
                "first_contact_channel": "email",
                "requirements_clear": True,
                "expected_purchase_time": "next_month",
            },
        ),
        ("qualify", {"product_interest": "DN50 valves", "quantity": 500}),
    ]
    for key, values in steps:
        lead = record_transition(lead, transition=key, data=values, actor=people.alice).record
    return lead


def convert(people, lead):
    return record_transition(lead, transition="convert", data={}, actor=people.alice).record


def test_converting_creates_account_contact_and_deal_from_the_mapping(people):
    lead = convert(people, qualified_lead(people, company="Acme Ltda"))
    deal = Deal.objects.get(lead=lead)
    assert (deal.title, deal.owner, deal.custom["region"]) == ("Acme Ltda", people.alice, "latam")
    assert (deal.account.name, deal.account.country) == ("Acme Ltda", "BR")
    assert (deal.contact.name, deal.contact.email, deal.contact.account) == (
        "Ana Silva",
        "ana@acme.example",
        deal.account,
    )
    assert deal.custom["requirements_clear"] is True


def test_fields_the_mapping_does_not_name_are_not_copied(people):
    lead = convert(people, qualified_lead(people, company="Acme Ltda"))
    assert "industry" not in Deal.objects.get(lead=lead).custom


def test_a_lead_without_company_gets_no_account_and_a_deal_named_after_the_person(people):
    lead = convert(people, qualified_lead(people))
    deal = Deal.objects.get(lead=lead)
    assert (deal.title, deal.account, deal.contact.name) == ("Ana Silva", None, "Ana Silva")


def test_the_conversion_is_on_the_lead_timeline(people):
    lead = convert(people, qualified_lead(people, company="Acme Ltda"))
    event = Event.objects.get(record_type="lead", record_id=lead.pk, kind=EventKind.CONVERTED)
    assert event.data["deal"] == Deal.objects.get(lead=lead).pk
