"""GET /api/playbook and /api/playbook/diagram: the active process, read-only, for any signed-in
user, with labels in their language."""

from datetime import datetime, timedelta

import pytest

from sopcrm.crm.records.services.playbook_apply import playbook_apply
from sopcrm.playbook.loader import bundled_playbook_path
from sopcrm.process.models import PlaybookVersion

from .conftest import at, utc


@pytest.mark.parametrize("who", ["alice", "wendy", "east_manager", "admin"])
def test_any_signed_in_user_reads_the_active_version(clients, who):
    body = getattr(clients, who).get("/playbook").json()
    version = PlaybookVersion.objects.get(is_active=True)
    assert (body["key"], body["name"], body["language"]) == ("export_trade", "Export trade", "en")
    applied_at = datetime.fromisoformat(body["version"].pop("applied_at"))
    assert abs(applied_at - version.applied_at) < timedelta(milliseconds=1)  # JSON keeps ms
    assert body["version"] == {
        "key": "export_trade",
        "number": version.number,
        "source_name": "export_trade.yaml",
    }
    assert [o["object"] for o in body["objects"]] == ["lead", "deal", "account", "contact"]


def test_anonymous_is_401(db):
    from django.test import Client

    assert Client().get("/api/playbook").status_code == 401
    assert Client().get("/api/playbook/diagram").status_code == 401


def deal_pipeline(body):
    deal = next(o for o in body["objects"] if o["object"] == "deal")
    return deal, deal["pipelines"][0]


def test_stages_carry_kind_probability_timing_and_substates(clients):
    _deal, export = deal_pipeline(clients.alice.get("/playbook").json())
    assert (export["key"], export["label"], export["when"]) == ("export", "Export sales", None)
    assert [s["key"] for s in export["stages"]] == [
        "new",
        "contacted",
        "requirements_confirmed",
        "quoted",
        "following_up",
        "won",
        "lost",
    ]
    quoted = export["stages"][3]
    assert quoted == {
        "key": "quoted",
        "label": "Quoted",
        "kind": "open",
        "probability": 50,
        "expected_days": 7,
        "idle_days": 7,
        "substates": [
            {"key": "pending_1st", "label": "Pending 1st follow-up"},
            {"key": "pending_2nd", "label": "Pending 2nd follow-up"},
            {"key": "pending_3rd", "label": "Pending 3rd follow-up"},
            {"key": "chased_3_times", "label": "Followed up 3 times"},
        ],
        "tasks": ["quote_confirmation", "opportunity_assessment", "quote_check_14", "chase_1"],
    }
    assert [(s["key"], s["kind"], s["probability"]) for s in export["stages"][-2:]] == [
        ("won", "won", 100),
        ("lost", "lost", 0),
    ]


def test_transitions_carry_requirements_rules_and_approval(clients):
    _deal, export = deal_pipeline(clients.alice.get("/playbook").json())
    transitions = {t["key"]: t for t in export["transitions"]}
    assert list(transitions) == [
        "contact",
        "confirm_requirements",
        "send_quote",
        "start_follow_up",
        "win",
        "lose",
    ]
    assert transitions["send_quote"] == {
        "key": "send_quote",
        "label": "Quote sent",
        "from": ["requirements_confirmed"],
        "to": "quoted",
        "allowed": ["owner", "manager", "admin"],
        "requires": [
            "quote_date",
            "quote_valid_until",
            "quote_channel",
            "core_specifications",
            "lead_time_requirement",
            "quote_type",
        ],
        "optional": [],
        "rules": [
            {
                "when": "quote_valid_until >= quote_date",
                "message": "The quote must be valid on or after the quote date.",
            },
            {
                "when": "quote_type == 'range_with_preconditions' or checklist_confirmed >= 6",
                "message": "A precise quote needs at least 6 checklist items clear: confirm "
                "more, or send a range quote with its preconditions.",
            },
        ],
        "approval": {
            "when": "discount_percent > 20",
            "reason": "Discount above 20%",
            "approver": "manager",
        },
        "completes_tasks": [],
    }
    assert (transitions["lose"]["from"], transitions["lose"]["optional"]) == (["*"], ["competitor"])
    assert transitions["contact"]["completes_tasks"] == ["first_contact"]


def test_task_templates_carry_their_timing(clients):
    body = clients.alice.get("/playbook").json()
    lead = next(o for o in body["objects"] if o["object"] == "lead")
    assert lead["tasks"][0]["key"] == "first_contact"
    assert lead["tasks"][0]["due"] == {
        "after": "24 hours",
        "from": "received",
        "clock": "working_days",
    }
    deal, _export = deal_pipeline(body)
    tasks = {t["key"]: t for t in deal["tasks"]}
    assert tasks["chase_1"] == {
        "key": "chase_1",
        "title": "1st follow-up (light check)",
        "description": "Received? Any questions? Bring one piece of new information.",
        "channel": None,
        "assignee": "owner",
        "due": {"after": "3 days", "from": "field.quote_date", "clock": "calendar"},
        "active_in": ["quoted", "following_up"],
        "keep_after_stage": False,
        "completion_requires": ["channel", "feedback_type", "new_information"],
        "on_complete_substate": "pending_2nd",
    }
    assert tasks["chase_2"]["due"] == {
        "after": "5 days",
        "from": "task.chase_1.completed",
        "clock": "calendar",
    }
    assert tasks["chase_3"]["due"]["after"] == "7 days"
    assert [
        tasks[k]["due"]["after"]
        for k in ("quote_confirmation", "opportunity_assessment", "quote_check_14")
    ] == ["2 days", "7 days", "14 days"]
    assert tasks["order_confirmation"]["keep_after_stage"] is True


def test_labels_follow_accept_language_or_the_language_parameter(clients):
    chinese = clients.alice.get("/playbook", language="zh-hans").json()
    assert (chinese["name"], chinese["language"]) == ("外贸销售", "zh-hans")
    _deal, export = deal_pipeline(chinese)
    assert export["stages"][3]["substates"][0]["label"] == "待第一次跟进"
    by_parameter = clients.alice.get("/playbook", {"language": "zh"}).json()
    assert by_parameter["name"] == "外贸销售"
    assert (
        clients.alice.get("/playbook", {"language": "en"}, language="zh-hans").json()["name"]
        == "Export trade"
    )


def test_a_bad_language_parameter_is_422(clients):
    response = clients.alice.get("/playbook", {"language": "<script>"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "language"


def test_the_diagram_is_mermaid_per_pipeline(clients):
    body = clients.alice.get("/playbook/diagram").json()
    assert [(d["object"], d["pipeline"]) for d in body["items"]] == [
        ("lead", "inquiry"),
        ("deal", "export"),
    ]
    export = body["items"][1]["mermaid"]
    assert export.startswith("stateDiagram-v2\n")
    assert 'state "Quoted" as s_quoted {' in export
    assert "s_requirements_confirmed --> s_quoted: Quote sent" in export
    assert "approval if discount_percent › 20" in export


def test_the_diagram_in_chinese(clients):
    body = clients.alice.get("/playbook/diagram", {"language": "zh"}).json()
    assert body["language"] == "zh"
    export = body["items"][1]["mermaid"]
    assert 'state "已报价" as s_quoted {' in export
    assert "已发报价" in export


def test_a_newly_applied_version_is_what_the_api_shows(clients, people, frozen):
    frozen(at(2025, 11, 3, 10))
    source = bundled_playbook_path("generic_b2b").read_text(encoding="utf-8")
    playbook_apply(source=source, source_name="generic_b2b.yaml", actor=people.admin)
    body = clients.alice.get("/playbook").json()
    assert body["version"] == {
        "key": "generic_b2b",
        "number": 1,
        "applied_at": utc(at(2025, 11, 3, 10)),
        "source_name": "generic_b2b.yaml",
    }
    _deal, b2b = deal_pipeline(body)
    assert b2b["key"] == "b2b"
    diagrams = clients.alice.get("/playbook/diagram").json()
    assert [(d["object"], d["pipeline"]) for d in diagrams["items"]] == [
        ("lead", "leads"),
        ("deal", "b2b"),
    ]
