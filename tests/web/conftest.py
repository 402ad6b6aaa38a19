"""Helpers for the web tests: a test client signed in as one of the personas, and the values
that walk a deal through the export-trade playbook (S-09, S-13, S-10, S-11)."""

from collections.abc import Callable

import pytest
from django.test import Client

from sopcrm.core.models import User
from sopcrm.crm.records.services.transitions import record_transition

from ..automation.conftest import frozen  # noqa: F401 (the frozen-clock fixture)

CONTACT = {
    "first_contact_channel": "whatsapp",
    "requirements_clear": True,
    "expected_purchase_time": "within_3_months",
}
CONFIRM = {
    "target_price": {"amount": "12.50", "currency": "USD"},
    "lead_time_requirement": "30 days",
    "certifications": "EU, CE",
    "competitor": "A local maker",
}
QUOTE = {
    "quote_date": "2025-11-03",
    "quote_valid_until": "2025-12-03",
    "quote_channel": "email",
    "core_specifications": "DN50 stainless, PN16",
    "quote_type": "range_with_preconditions",  # S-30: no checklist needed
}
LOSE = {
    "lost_reasons": ["price_too_high"],
    "lost_note": "Chose a supplier in Turkey.",
    "reactivation_likelihood": "unlikely",
}
# The transitions that lead from New to each stage, with what each asks for.
WALK = {
    "contacted": [("contact", CONTACT)],
    "requirements_confirmed": [("contact", CONTACT), ("confirm_requirements", CONFIRM)],
    "quoted": [("contact", CONTACT), ("confirm_requirements", CONFIRM), ("send_quote", QUOTE)],
    "lost": [("lose", LOSE)],
}


def walk(record, to_stage: str, actor: User):
    """Take a new deal to `to_stage` through the playbook's transitions, as `actor`."""
    for key, data in WALK[to_stage]:
        record = record_transition(record, transition=key, data=data, actor=actor).record
    return record


@pytest.fixture
def client_for(client: Client) -> Callable[[User], Client]:
    """`client_for(people.alice)` is the test client signed in as Alice."""

    def sign_in(user: User) -> Client:
        client.force_login(user)
        return client

    return sign_in
