"""Messaging fixtures: the team library seeded from the export-trade playbook, a customer deal of
alice's with everything a quotation email needs, and alice's signature."""

import pytest

from sopcrm.crm.messaging.models import EmailTemplate
from sopcrm.crm.messaging.services.seeding import templates_seed_from_playbook
from sopcrm.crm.messaging.services.signatures import signature_create
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.process.models import PlaybookVersion

FREE = {
    "differentiators": "Every batch is pressure-tested.",
    "next_step": "Could we have a 15-minute call on Thursday?",
}
QUOTED = {
    "core_specifications": "DN50 stainless, PN16",
    "lead_time_requirement": "30 days",
    "quote_date": "2026-03-02",
    "quote_valid_until": "2026-04-01",
    "region": "eu_us",
}


@pytest.fixture
def library(db) -> dict[str, EmailTemplate]:
    version = PlaybookVersion.objects.get(is_active=True)
    templates_seed_from_playbook(version)
    return {t.key: t for t in EmailTemplate.objects.filter(owner__isnull=True)}


@pytest.fixture
def signature(people):
    return signature_create(
        actor=people.alice,
        data={"name": "Default", "body": "Best regards,\nAlice Chen\nSales, Ningbo Valves"},
    )


def make_deal(actor, *, title="Ball valves", custom=None, email="hans@acme.example", **extra):
    account = account_create(actor=actor, data={"name": "Acme <GmbH> & Co"})
    contact = contact_create(
        actor=actor,
        data={
            "name": "Hans Müller",
            "email": email,
            "account": account.pk,
            "custom": {"languages": ["en"]},
        },
    )
    return deal_create(
        actor=actor,
        data={
            "title": title,
            "account": account.pk,
            "contact": contact.pk,
            "amount": "12500",
            "currency": "EUR",
            "custom": {**QUOTED, **(custom or {})},
            **extra,
        },
    )


@pytest.fixture
def deal(people):
    return make_deal(people.alice)
