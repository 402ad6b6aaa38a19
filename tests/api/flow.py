"""Walking deals and leads through the export-trade playbook over HTTP, and the values each
transition asks for (the same as tests/process use against the services)."""

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
# S-32: every checklist item clear, so an order needs no change clause.
ALL_CLEAR = [
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
    "purchase_timing",
    "target_market",
    "quality_inspection",
    "customisation",
    "company_verified",
    "current_supplier",
]
LOSE = {
    "lost_reasons": ["price_too_high", "lead_time_too_long"],
    "lost_note": "Chose a supplier in Turkey.",
    "reactivation_likelihood": "within_6_12_months",
}
OUTCOME = {
    "summary": "Sent the CE report",
    "channel": "email",
    "feedback_type": "no_reply",
    "new_information": "new_material",
}


def take(client, record_type, record_id, transition, data=None, *, expect=200, language=None):
    """POST a transition; asserts the status and returns the JSON body."""
    body = {"transition": transition, "data": data or {}}
    response = client.post(f"/{record_type}s/{record_id}/transitions", body, language=language)
    assert response.status_code == expect, response.json()
    return response.json()


def new_deal(client, title="Valves", **extra):
    response = client.post("/deals", {"title": title, **extra})
    assert response.status_code == 201, response.json()
    return response.json()


def deal_at(client, stage, *, title="Valves", **extra):
    """A new deal of the client's user, walked to `stage` (new, contacted,
    requirements_confirmed or quoted)."""
    deal = new_deal(client, title, **extra)
    steps = [
        ("contacted", "contact", CONTACT),
        ("requirements_confirmed", "confirm_requirements", CONFIRM),
        ("quoted", "send_quote", QUOTE),
    ]
    for reached, key, data in steps:
        if deal["stage"] == stage:
            break
        deal = take(client, "deal", deal["id"], key, data)
        assert deal["stage"] == reached
    assert deal["stage"] == stage
    return deal


def problems(response_json):
    """The (field, code) pairs of an error body."""
    return [(f["field"], f["code"]) for f in response_json["error"]["fields"]]
