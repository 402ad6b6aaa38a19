"""The template library and signatures through the API (S-37, S-39): who may write what, a rep's
variant proposed and promoted into the team library, the change log, and strict input."""

import pytest

from sopcrm.crm.messaging.models import EmailTemplate, TemplateChange

from .conftest import fields_of

SECTIONS = [
    {
        "key": "greeting",
        "title": {"en": "Greeting", "zh": "称呼"},
        "kind": "fixed",
        "text": "Dear {{ contact_first_name }},",
    },
    {
        "key": "differentiators",
        "title": {"en": "Why us"},
        "kind": "free",
        "required": True,
        "presets": [{"key": "stock", "label": {"en": "Stock"}, "text": "We have stock."}],
    },
    {
        "key": "next_step",
        "title": {"en": "Next step"},
        "kind": "free",
        "required": True,
        "role": "cta",
    },
    {"key": "closing", "title": {"en": "Closing"}, "kind": "fixed", "text": "{{ rep_signature }}"},
]
NEW = {
    "key": "sample_offer",
    "name": {"en": "Sample offer", "zh": "寄样"},
    "purpose": "other",
    "stages": ["quoted"],
    "subject": "A sample of {{ product }}",
    "sections": SECTIONS,
}


def team_template(key):
    return EmailTemplate.objects.get(key=key, owner__isnull=True, status="active").pk


def history(client, template_id):
    response = client.get(f"/templates/{template_id}/history")
    assert response.status_code == 200
    return [(c["action"], c["actor"]) for c in response.json()["items"]]


# -- reading -------------------------------------------------------------------------------------


def test_a_template_shows_its_sections(clients):
    response = clients.alice.get(f"/templates/{team_template('quote_cover')}")
    assert response.status_code == 200
    template = response.json()
    assert (template["key"], template["purpose"], template["team"], template["owner"]) == (
        "quote_cover",
        "quote_cover",
        True,
        None,
    )
    assert template["name"] == {"en": "Quotation cover email", "zh": "报价邮件"}
    assert template["stages"] == ["requirements_confirmed", "quoted.pending_1st"]
    assert [(s["key"], s["kind"], s["required"], s["role"]) for s in template["sections"]] == [
        ("greeting", "fixed", False, None),
        ("recap", "fixed", False, None),
        ("key_info", "fixed", False, None),
        ("differentiators", "free", True, None),
        ("next_step", "free", True, "cta"),
        ("closing", "fixed", False, None),
    ]
    greeting, differentiators = template["sections"][0], template["sections"][3]
    assert greeting["title"] == {"en": "Greeting & opening", "zh": "称呼与开头"}
    assert greeting["text"].startswith("Dear {{ contact_first_name }},")
    assert differentiators["hint"]["en"].startswith("One or two points")
    assert [p["key"] for p in differentiators["presets"]][:2] == ["quality", "certification"]
    assert history(clients.alice, template["id"]) == [("seeded", None)]


def test_the_list_filters_and_pages(clients):
    everything = clients.alice.get("/templates").json()
    assert everything["next_cursor"] is None
    keys = [t["key"] for t in everything["items"]]
    assert {"first_reply", "quote_cover", "chase_1", "chase_2", "chase_3", "won_check"} <= set(keys)
    chases = clients.alice.get("/templates", {"purpose": "chase_2"}).json()["items"]
    assert [t["key"] for t in chases] == ["chase_2"]

    # Walk it two at a time: every template once, in the same order.
    walked, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = clients.alice.get("/templates", params).json()
        walked += [t["key"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == keys

    # A personal variant comes after the team library; `mine` keeps one side.
    clients.alice.post(f"/templates/{team_template('chase_1')}/variants", {"key": "my_chase"})
    keys = [t["key"] for t in clients.alice.get("/templates").json()["items"]]
    assert keys[-1] == "my_chase"
    mine = clients.alice.get("/templates", {"mine": "true"}).json()["items"]
    assert [t["key"] for t in mine] == ["my_chase"]
    team = clients.alice.get("/templates", {"mine": "false"}).json()["items"]
    assert "my_chase" not in [t["key"] for t in team]
    # Bob sees the team library, not alice's variant.
    assert "my_chase" not in [t["key"] for t in clients.bob.get("/templates").json()["items"]]

    assert clients.alice.get("/templates", {"language": "zh"}).json()["items"] == []
    refused = clients.alice.get("/templates", {"cursor": "nonsense"})
    assert (refused.status_code, fields_of(refused)) == (422, [("cursor", "invalid")])
    assert clients.alice.get("/templates", {"status": "gone"}).status_code == 422
    assert clients.alice.get("/templates", {"limit": 0}).status_code == 422


def test_a_template_you_may_not_see_is_not_found(clients):
    variant = clients.alice.post(f"/templates/{team_template('chase_1')}/variants", {}).json()
    for path in (f"/templates/{variant['id']}", f"/templates/{variant['id']}/history"):
        assert clients.bob.get(path).status_code == 404
    assert clients.bob.patch(f"/templates/{variant['id']}", {"subject": "x"}).status_code == 404
    assert clients.bob.post(f"/templates/{variant['id']}/archive").status_code == 404
    assert clients.bob.post(f"/templates/{variant['id']}/variants", {}).status_code == 404
    assert clients.alice.get("/templates/999999").status_code == 404


# -- writing -------------------------------------------------------------------------------------


def test_a_rep_cannot_add_to_the_team_library(clients):
    response = clients.alice.post("/templates", NEW)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not EmailTemplate.objects.filter(key="sample_offer").exists()
    # ... but may save it as a personal template.
    personal = clients.alice.post("/templates", {**NEW, "personal": True})
    assert personal.status_code == 201
    assert (personal.json()["team"], personal.json()["owner"]) == (False, clients_user(clients))


def clients_user(clients):
    return clients.alice.get("/me").json()["id"]


def test_a_manager_adds_and_edits_a_team_template(clients, people):
    created = clients.east_manager.post("/templates", NEW)
    assert created.status_code == 201
    template = created.json()
    assert (template["team"], template["status"], template["category"], template["language"]) == (
        True,
        "active",
        "standard",
        "en",
    )
    assert template["sections"][1]["presets"] == [
        {"key": "stock", "label": {"en": "Stock", "zh": None}, "text": "We have stock."}
    ]
    # Reps see it, and may not change it.
    assert clients.alice.get(f"/templates/{template['id']}").status_code == 200
    refused = clients.alice.patch(f"/templates/{template['id']}", {"subject": "Hi"})
    assert refused.status_code == 403
    refused = clients.alice.post(f"/templates/{template['id']}/archive")
    assert refused.status_code == 403

    edited = clients.east_manager.patch(
        f"/templates/{template['id']}", {"subject": "Your sample of {{ product }}"}
    )
    assert edited.status_code == 200
    assert edited.json()["subject"] == "Your sample of {{ product }}"
    assert edited.json()["sections"] == template["sections"]  # PATCH changes what is sent

    archived = clients.east_manager.post(f"/templates/{template['id']}/archive")
    assert (archived.status_code, archived.json()["status"]) == (200, "archived")
    late = clients.east_manager.patch(f"/templates/{template['id']}", {"subject": "x"})
    assert (late.status_code, late.json()["error"]["code"]) == (409, "archived")
    manager = people.east_manager.pk
    assert history(clients.east_manager, template["id"]) == [
        ("created", manager),
        ("updated", manager),
        ("archived", manager),
    ]
    assert (
        clients.alice.get("/templates", {"status": "archived"}).json()["items"][0]["id"]
        == (template["id"])
    )


def test_the_content_is_checked_like_a_playbook_entry(clients):
    sections = [
        {**SECTIONS[0], "text": "Dear {{ contact_frist_name }}, <script>x</script>"},
        *SECTIONS[1:3],
        {**SECTIONS[3], "role": "cta"},
    ]
    refused = clients.east_manager.post(
        "/templates", {**NEW, "purpose": "spam", "sections": sections}
    )
    assert refused.status_code == 422
    problems = fields_of(refused)
    assert ("purpose", "enum") in problems
    refused = clients.east_manager.post("/templates", {**NEW, "sections": sections})
    problems = fields_of(refused)
    assert ("sections.greeting.text", "unknown_merge_field") in problems
    assert ("sections.greeting.text", "tag_not_allowed") in problems
    assert any(code == "several_cta" for _field, code in problems)
    message = next(
        f["message"]
        for f in refused.json()["error"]["fields"]
        if f["code"] == "unknown_merge_field"
    )
    assert "contact_first_name" in message
    assert not EmailTemplate.objects.filter(key="sample_offer").exists()


def test_unknown_fields_and_wrong_types_are_refused(clients):
    template = team_template("chase_1")
    cases = [
        ({**NEW, "owner": 3}, [("owner", "unknown_field")]),
        ({**NEW, "subject": 5}, [("subject", "type")]),
        ({**NEW, "stages": "quoted"}, [("stages", "type")]),
        (
            {**NEW, "sections": [{**SECTIONS[0], "colour": "red"}]},
            [("sections.0.colour", "unknown_field")],
        ),
        (
            {**NEW, "sections": [{**SECTIONS[1], "required": "yes"}]},
            [("sections.0.required", "type")],
        ),
        ({**NEW, "name": "Sample"}, [("name", "type")]),
    ]
    for payload, expected in cases:
        response = clients.east_manager.post("/templates", payload)
        assert (response.status_code, fields_of(response)) == (422, expected), payload
    response = clients.east_manager.post("/templates", {"key": "x"})
    assert {f for f, _code in fields_of(response)} == {"name", "purpose", "subject", "sections"}
    response = clients.east_manager.patch(f"/templates/{template}", {"when": 1})
    assert fields_of(response) == [("when", "type")]
    response = clients.east_manager.patch(f"/templates/{template}", {"subject": None, "key": None})
    assert fields_of(response) == [("key", "required"), ("subject", "required")]
    # A null clears what may be empty.
    response = clients.east_manager.patch(f"/templates/{template}", {"stages": None, "when": None})
    assert (response.status_code, response.json()["stages"]) == (200, [])
    response = clients.alice.post(f"/templates/{template}/variants", {"key": 7})
    assert fields_of(response) == [("key", "type")]
    response = clients.alice.post(f"/templates/{template}/propose", {"note": None})
    assert fields_of(response) == [("note", "type")]
    assert clients.alice.get("/templates/abc").status_code == 422
    assert EmailTemplate.objects.filter(owner__isnull=False).count() == 0


# -- the library's flow (S-39) -------------------------------------------------------------------


def test_a_rep_proposes_a_variant_and_the_manager_promotes_it(clients, people):
    base = team_template("chase_1")
    variant = clients.alice.post(
        f"/templates/{base}/variants", {"subject": "Quick check on {{ product }}"}
    )
    assert variant.status_code == 201
    variant = variant.json()
    assert (variant["key"], variant["team"], variant["owner"], variant["based_on"]) == (
        "chase_1",
        False,
        people.alice.pk,
        base,
    )
    assert variant["status"] == "active"
    # The rep edits their own variant, then proposes it.
    edited = clients.alice.patch(f"/templates/{variant['id']}", {"category": "advanced"})
    assert (edited.status_code, edited.json()["category"]) == (200, "advanced")
    proposed = clients.alice.post(
        f"/templates/{variant['id']}/propose", {"note": "Customers answer this one"}
    )
    assert proposed.status_code == 200
    assert (proposed.json()["status"], proposed.json()["proposal_note"]) == (
        "proposed",
        "Customers answer this one",
    )
    again = clients.alice.post(f"/templates/{variant['id']}/propose", {})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_active")
    # Proposing the team template itself is not the rep's to do.
    assert clients.alice.post(f"/templates/{base}/propose", {}).status_code == 403
    # The rep may not promote; the other team's manager does not see it.
    assert clients.alice.post(f"/templates/{variant['id']}/promote").status_code == 403
    assert clients.west_manager.post(f"/templates/{variant['id']}/promote").status_code == 404

    # The team's manager sees the proposal, and promotes it.
    waiting = clients.east_manager.get("/templates", {"status": "proposed"}).json()["items"]
    assert [t["id"] for t in waiting] == [variant["id"]]
    promoted = clients.east_manager.post(f"/templates/{variant['id']}/promote")
    assert promoted.status_code == 200
    promoted = promoted.json()
    assert (promoted["key"], promoted["team"], promoted["status"], promoted["based_on"]) == (
        "chase_1",
        True,
        "active",
        variant["id"],
    )
    assert promoted["subject"] == "Quick check on {{ product }}"
    assert team_template("chase_1") == promoted["id"]
    assert clients.alice.get(f"/templates/{base}").json()["status"] == "archived"
    assert clients.alice.get(f"/templates/{variant['id']}").json()["status"] == "archived"
    manager, alice = people.east_manager.pk, people.alice.pk
    assert history(clients.alice, variant["id"]) == [
        ("variant_created", alice),
        ("updated", alice),
        ("proposed", alice),
        ("promoted", manager),
    ]
    assert history(clients.alice, promoted["id"]) == [("promoted", manager)]
    assert history(clients.alice, base)[-1] == ("archived", manager)
    # The archived variant is alice's alone now; a team template is no proposal.
    assert clients.east_manager.post(f"/templates/{variant['id']}/promote").status_code == 404
    refused = clients.admin.post(f"/templates/{promoted['id']}/promote")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_proposed")


def test_a_declined_proposal_goes_back_to_the_rep(clients, people):
    variant = clients.alice.post(f"/templates/{team_template('chase_2')}/variants", {}).json()
    clients.alice.post(f"/templates/{variant['id']}/propose", {"note": ""})
    missing = clients.east_manager.post(f"/templates/{variant['id']}/decline", {})
    assert (missing.status_code, fields_of(missing)) == (422, [("reason", "required")])
    blank = clients.east_manager.post(f"/templates/{variant['id']}/decline", {"reason": "  "})
    assert (blank.status_code, fields_of(blank)) == (422, [("reason", "required")])
    assert (
        clients.alice.post(f"/templates/{variant['id']}/decline", {"reason": "mine"}).status_code
        == 403
    )

    declined = clients.east_manager.post(
        f"/templates/{variant['id']}/decline", {"reason": "Too long for a chase"}
    )
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["team"]) == ("active", False)
    # It is the rep's own again: the manager no longer sees it.
    assert clients.east_manager.get(f"/templates/{variant['id']}").status_code == 404
    log = clients.alice.get(f"/templates/{variant['id']}/history").json()["items"]
    assert (log[-1]["action"], log[-1]["actor"], log[-1]["data"]) == (
        "declined",
        people.east_manager.pk,
        {"reason": "Too long for a chase"},
    )
    assert TemplateChange.objects.filter(template_id=variant["id"]).count() == 3


def test_a_variant_under_a_taken_key_is_refused(clients):
    base = team_template("chase_1")
    # No body is an exact copy, under the same key.
    copy = clients.alice.post(f"/templates/{base}/variants", raw="")
    assert (copy.status_code, copy.json()["key"], copy.json()["based_on"]) == (201, "chase_1", base)
    again = clients.alice.post(f"/templates/{base}/variants", {})
    assert (again.status_code, fields_of(again)) == (422, [("key", "unique")])


# -- signatures ----------------------------------------------------------------------------------


def test_signatures_are_each_users_own(clients, people):
    assert clients.alice.get("/signatures").json() == {"items": []}
    first = clients.alice.post("/signatures", {"name": "English", "body": "Best regards,\nAlice"})
    assert first.status_code == 201
    first = first.json()
    assert (first["is_default"], first["languages"], first["regions"]) == (True, [], [])
    second = clients.alice.post(
        "/signatures",
        {
            "name": "Español",
            "body": "Saludos,\nAlice",
            "languages": ["es"],
            "regions": ["latam"],
            "is_default": True,
        },
    ).json()
    listed = clients.alice.get("/signatures").json()["items"]
    assert [(s["id"], s["is_default"]) for s in listed] == [
        (second["id"], True),
        (first["id"], False),
    ]

    changed = clients.alice.patch(f"/signatures/{first['id']}", {"body": "Kind regards,\nAlice"})
    assert (changed.status_code, changed.json()["body"]) == (200, "Kind regards,\nAlice")

    # Another user's signature is not found, and theirs are their own.
    assert clients.bob.get("/signatures").json() == {"items": []}
    assert clients.bob.patch(f"/signatures/{first['id']}", {"name": "x"}).status_code == 404
    assert clients.bob.delete(f"/signatures/{first['id']}").status_code == 404
    assert clients.east_manager.delete(f"/signatures/{first['id']}").status_code == 404

    assert clients.alice.delete(f"/signatures/{first['id']}").status_code == 204
    assert clients.alice.delete(f"/signatures/{first['id']}").status_code == 404
    assert [s["id"] for s in clients.alice.get("/signatures").json()["items"]] == [second["id"]]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"name": "x"}, [("body", "required")]),
        ({"name": "x", "body": "y", "colour": "red"}, [("colour", "unknown_field")]),
        ({"name": "x", "body": "y", "is_default": "yes"}, [("is_default", "type")]),
        ({"name": "x", "body": "y", "languages": "en"}, [("languages", "type")]),
        ({"name": "x", "body": "y", "regions": ["mars"]}, [("regions", "choice")]),
        ({"name": "x", "body": "y", "languages": ["English"]}, [("languages", "choice")]),
        ({"name": " ", "body": "y"}, [("name", "required")]),
    ],
)
def test_a_bad_signature_is_refused(clients, payload, expected):
    response = clients.alice.post("/signatures", payload)
    assert (response.status_code, fields_of(response)) == (422, expected)
    assert clients.alice.get("/signatures").json() == {"items": []}


# -- the schema ----------------------------------------------------------------------------------


def test_the_messaging_operations_document_their_outcomes(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    write = {"400", "401", "403", "404", "422"}
    expected = {
        ("get", "/api/templates"): {"200", "401", "422"},
        ("post", "/api/templates"): {"201", "400", "401", "403", "422"},
        ("patch", "/api/templates/{template_id}"): {"200", "409"} | write,
        ("post", "/api/templates/{template_id}/promote"): {
            "200",
            "401",
            "403",
            "404",
            "409",
            "422",
        },
        ("post", "/api/templates/{template_id}/decline"): {"200", "409"} | write,
        ("post", "/api/deals/{deal_id}/emails/preview"): {"200"} | write,
        ("post", "/api/deals/{deal_id}/emails"): {"201", "409"} | write,
        ("post", "/api/leads/{lead_id}/emails"): {"201", "409"} | write,
        ("get", "/api/emails/{email_id}"): {"200", "401", "404", "422"},
        ("delete", "/api/signatures/{signature_id}"): {"204", "401", "403", "404", "422"},
    }
    for (method, path), statuses in expected.items():
        assert set(paths[path][method]["responses"]) == statuses, (method, path)
    send = paths["/api/deals/{deal_id}/emails"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in send["parameters"] if p["in"] == "header"]
