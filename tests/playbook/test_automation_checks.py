"""A playbook's automation (SLAs, cadences, rules, lists) is checked when it loads: each mistake
is reported at its file line with the key, and nothing is applied."""

import pytest

from sopcrm.playbook.automation_checks import ACTIVITY_KINDS, FEEDBACK_TYPES
from sopcrm.playbook.loader import PlaybookError, load_playbook

from .test_loader import MINIMAL


def with_automation(text):
    return MINIMAL + text


def problems(text):
    with pytest.raises(PlaybookError) as error:
        load_playbook(with_automation(text), "tiny.yaml")
    return [(p.line, p.message) for p in error.value.problems]


RULE = """\
    rules:
      - key: remind
        label: {en: Remind}
        trigger: {event: idle_in_stage}
        actions:
          - notify: {to: [owner], title: {en: "Idle"}}
"""


def test_a_valid_rule_loads():
    playbook, _source = load_playbook(with_automation(RULE), "tiny.yaml")
    assert playbook.object("deal").rules[0].trigger.event == "idle_in_stage"


def test_an_unknown_trigger_is_refused_at_its_line():
    [(line, message)] = problems(RULE.replace("idle_in_stage", "idle"))
    assert line == 20 and "'idle_in_stage'" in message


def test_a_narrowing_key_that_does_not_fit_the_trigger_is_refused():
    [(line, message)] = problems(
        RULE.replace("{event: idle_in_stage}", "{event: created, fields: [region]}")
    )
    assert (line, message) == (20, "'fields' does not apply to the trigger 'created'")


def test_an_unknown_stage_in_a_trigger_is_refused_with_a_suggestion():
    text = RULE.replace("{event: idle_in_stage}", "{event: stage_entered, stages: [wom]}")
    [(line, message)] = problems(text)
    assert (line, message) == (20, "unknown stage 'wom'")


def test_an_action_with_two_keys_is_refused():
    text = RULE.replace(
        '- notify: {to: [owner], title: {en: "Idle"}}',
        "- {create_task: x, add_to_list: y}",
    )
    assert (22, "an action has exactly one key (found: create_task, add_to_list)") in problems(text)


def test_an_unknown_list_cadence_or_task_is_refused():
    text = RULE.replace(
        '          - notify: {to: [owner], title: {en: "Idle"}}',
        "          - add_to_list: nowhere\n          - start_cadence: slow\n"
        "          - create_task: call_back",
    )
    assert {m for _line, m in problems(text)} == {
        "unknown task template 'call_back'",
        "unknown cadence 'slow'",
        "unknown list 'nowhere'",
    }


def test_a_condition_on_an_unknown_field_is_refused():
    text = RULE.replace("        actions:", "        when: regoin == 'eu'\n        actions:")
    [(line, message)] = problems(text)
    assert line == 21 and "regoin" in message


def test_an_sla_on_received_time_is_for_leads_only():
    text = """\
    slas:
      - {key: reply, label: {en: Reply}, within: 24 hours}
"""
    [(line, message)] = problems(text)
    assert (line, message) == (18, "only a lead has a received time")


def test_an_sla_trigger_must_name_a_known_sla():
    text = """\
    slas:
      - {key: reply, label: {en: Reply}, within: 24 hours, starts: created}
    rules:
      - key: late
        label: {en: Late}
        trigger: {event: sla_breached, sla: respond}
        actions: [{notify: {to: [manager], title: {en: Late}}}]
"""
    assert [m for _line, m in problems(text)] == ["unknown SLA 'respond'"]


def test_a_date_trigger_needs_a_date_field():
    text = RULE.replace("{event: idle_in_stage}", "{event: date_reached, field: region}")
    assert [m for _line, m in problems(text)] == ["'region' is a choice field; a date is needed"]


def test_the_keys_the_checks_know_are_the_crm_choices():
    from sopcrm.crm.records.models import ActivityKind, FeedbackType

    assert set(ACTIVITY_KINDS) == set(ActivityKind.values)
    assert set(FEEDBACK_TYPES) == set(FeedbackType.values)


def test_a_stage_is_not_a_field_change():
    text = RULE.replace("{event: idle_in_stage}", "{event: field_changed, fields: [stage]}")
    assert [m for _line, m in problems(text)] == ["a stage change is not a field change"]
