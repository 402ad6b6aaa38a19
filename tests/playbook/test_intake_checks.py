"""A playbook's intake (the qualification checklist, assignment rules, conversion and intake
forms) is checked when it loads: each mistake is reported at its file line, and a checklist
mapping that leaves a count or a buyer strength without a value is refused."""

import pytest

from sopcrm.playbook.intake_checks import LEAD_SOURCES
from sopcrm.playbook.loader import PlaybookError, load_playbook

LEAD = """\
key: tiny
name: {en: Tiny}
objects:
  lead:
    fields:
      - key: checklist
        label: {en: Checklist}
        type: multi_choice
        options:
          - {key: spec, label: {en: Spec}}
          - {key: qty, label: {en: Quantity}}
          - {key: price, label: {en: Price}}
      - key: strength
        label: {en: Strength}
        type: choice
        options:
          - {key: strong, label: {en: Strong}}
          - {key: weak, label: {en: Weak}}
      - key: priority
        label: {en: Priority}
        type: choice
        options:
          - {key: low, label: {en: Low}}
          - {key: high, label: {en: High}}
      - key: grade
        label: {en: Grade}
        type: choice
        options:
          - {key: a, label: {en: A}}
          - {key: b, label: {en: B}}
      - {key: region, label: {en: Region}, type: text}
      - {key: checklist_confirmed, label: {en: Clear}, type: number}
    pipelines:
      - key: inquiry
        label: {en: Inquiry}
        stages:
          - {key: new, label: {en: New}, probability: 10}
          - {key: converted, label: {en: Converted}, kind: won, probability: 100}
        transitions:
          - {key: convert, label: {en: Convert}, from: [new], to: converted}
"""
QUALIFICATION = """\
    qualification:
      field: checklist
      core: [spec, qty]
      key_items: [spec]
      scores:
        - field: priority
          bands:
            - {at_least: 2, value: high}
            - {at_least: 0, value: low}
      grade:
        field: grade
        strength: strength
        bands:
          - at_least: 2
            grades: {strong: a, weak: b, unknown: b}
          - at_least: 0
            grades: {strong: b, weak: b, unknown: b}
"""
QUALIFIED = LEAD + QUALIFICATION


def problems(text):
    with pytest.raises(PlaybookError) as error:
        load_playbook(text, "tiny.yaml")
    return [(p.line, p.message) for p in error.value.problems]


def test_a_valid_checklist_loads():
    playbook, _source = load_playbook(QUALIFIED, "tiny.yaml")
    assert playbook.object("lead").qualification.core == ("spec", "qty")


def test_the_checklist_must_be_a_multi_choice_field():
    text = QUALIFIED.replace("      field: checklist", "      field: region")
    assert problems(text)[0] == (42, "'region' is a text field; a multi_choice is needed")


def test_core_and_key_items_must_be_items_of_the_checklist():
    text = QUALIFIED.replace("core: [spec, qty]", "core: [spec, qtty]").replace(
        "key_items: [spec]", "key_items: [spec, spec]"
    )
    assert problems(text) == [
        (43, "'qtty' is not an item of the checklist 'checklist'"),
        (44, "item 'spec' twice"),
    ]


def test_a_score_needs_a_choice_field_and_its_options():
    text = QUALIFIED.replace("- field: priority", "- field: checklist_confirmed")
    assert problems(text) == [
        (46, "'checklist_confirmed' is a number field; a choice is needed"),
    ]
    text = QUALIFIED.replace("value: high}", "value: hihg}")
    assert problems(text) == [(48, "'hihg' is not an option of 'priority'")]


def test_bands_go_down_and_end_at_zero_so_every_count_has_a_value():
    text = QUALIFIED.replace("{at_least: 0, value: low}", "{at_least: 1, value: low}")
    assert problems(text) == [
        (49, "the last band needs 'at_least: 0' so that every count has a value")
    ]
    text = QUALIFIED.replace("{at_least: 2, value: high}", "{at_least: 0, value: high}")
    assert problems(text) == [(49, "bands go from the highest count down: 0 after 0")]


def test_every_strength_and_unknown_need_a_grade():
    text = QUALIFIED.replace("grades: {strong: a, weak: b, unknown: b}", "grades: {strong: a}")
    [(line, message)] = problems(text)
    assert (line, message) == (55, "no grade for 'weak', 'unknown'")


def test_a_grade_for_an_unknown_strength_or_an_unknown_grade_is_refused():
    text = QUALIFIED.replace(
        "grades: {strong: b, weak: b, unknown: b}",
        "grades: {strong: b, weak: b, unknown: b, stong: a}",
    ).replace(
        "grades: {strong: a, weak: b, unknown: b}", "grades: {strong: d, weak: b, unknown: b}"
    )
    assert problems(text) == [
        (55, "'d' is not an option of 'grade'"),
        (57, "'stong' is not an option of 'strength'"),
    ]


def test_the_grade_and_strength_must_be_choice_fields():
    text = QUALIFIED.replace("strength: strength", "strength: region")
    assert problems(text) == [(52, "'region' is a text field; a choice is needed")]


def test_a_field_set_twice_by_the_checklist_is_refused():
    text = (
        QUALIFIED.replace("        field: grade", "        field: priority")
        .replace("a, weak: b, unknown: b}", "high, weak: low, unknown: low}")
        .replace("{strong: b, weak: b, unknown: b}", "{strong: low, weak: low, unknown: low}")
    )
    assert problems(text) == [(50, "'priority' is set twice by the checklist")]


def test_the_count_fields_must_be_numbers():
    text = QUALIFIED.replace(
        "{key: checklist_confirmed, label: {en: Clear}, type: number}",
        "{key: checklist_confirmed, label: {en: Clear}, type: text}",
    )
    assert problems(text) == [
        (32, "the checklist keeps a count in 'checklist_confirmed'; it must be a number field")
    ]


def test_only_leads_and_deals_have_a_checklist():
    text = QUALIFIED.replace("  lead:\n", "  account:\n").replace(
        "    pipelines:", "    xpipelines:"
    )
    text = text[: text.index("    xpipelines:")] + QUALIFICATION
    assert problems(text) == [(33, "only leads and deals have a checklist")]


# -- assignment rules (S-26) ---------------------------------------------------------------------

ASSIGNED = (
    LEAD
    + """\
    assignment:
      rules:
        - key: east
          label: {en: East}
          when: region == 'east'
          pool: [{user: alice}, {user: bob, weight: 2}]
        - key: everyone
          label: {en: Everyone}
"""
)


def test_valid_assignment_rules_load():
    playbook, _source = load_playbook(ASSIGNED, "tiny.yaml")
    assert [r.key for r in playbook.object("lead").assignment.rules] == ["east", "everyone"]


def test_assignment_rule_keys_are_unique():
    text = ASSIGNED.replace("key: everyone", "key: east")
    assert problems(text) == [(47, "assignment rule 'east' twice")]


def test_an_assignment_condition_must_parse():
    [(line, message)] = problems(ASSIGNED.replace("when: region", "when: regoin"))
    assert line == 45 and "regoin" in message


def test_a_rule_gives_a_pool_or_a_team_not_both():
    text = ASSIGNED.replace("weight: 2}]\n", "weight: 2}]\n          team: East\n")
    assert problems(text) == [(47, "give 'pool' or 'team', not both")]


def test_pool_usernames_are_given_once_each():
    text = ASSIGNED.replace(
        "pool: [{user: alice}, {user: bob, weight: 2}]",
        "pool: [{user: alice}, {user: ' '}, {user: alice}]",
    )
    assert problems(text) == [
        (46, "a pool member needs a username"),
        (46, "'alice' is in the pool twice"),
    ]


def test_a_rule_after_a_rule_without_condition_is_never_used():
    text = ASSIGNED.replace("          when: region == 'east'\n", "").replace(
        "key: everyone", "key: rest"
    )
    assert problems(text) == [
        (46, "rule 'rest' is never used: 'east' before it has no 'when' and takes every lead")
    ]


def test_assignment_is_for_leads_only():
    text = ASSIGNED.replace("  lead:\n", "  deal:\n")
    assert problems(text) == [(41, "'assignment' applies to leads only")]


# -- conversion (S-05) ---------------------------------------------------------------------------

CONVERTED = (
    LEAD
    + """\
    conversion:
      account: {name: name}
      contact: {name: name, email: region}
      deal: {title: name, level: priority}
  deal:
    fields:
      - key: level
        label: {en: Level}
        type: choice
        options:
          - {key: low, label: {en: Low}}
          - {key: high, label: {en: Top}}
"""
)


def test_a_valid_conversion_loads():
    playbook, _source = load_playbook(CONVERTED, "tiny.yaml")
    assert playbook.object("lead").conversion.deal == {"title": "name", "level": "priority"}


def test_conversion_targets_and_sources_must_be_fields():
    text = CONVERTED.replace("{title: name, level: priority}", "{titel: name, level: priorty}")
    assert problems(text) == [
        (44, "'titel' is not a field of a deal that conversion can fill"),
        (44, "'priorty' is not a lead field"),
    ]


def test_a_converted_value_must_fit_its_target():
    text = CONVERTED.replace("{name: name}", "{name: checklist_confirmed}").replace(
        "- {key: high, label: {en: Top}}", "- {key: top, label: {en: Top}}"
    )
    assert problems(text) == [
        (
            42,
            "the lead's 'checklist_confirmed' is a number field, the account's 'name' a text field",
        ),
        (44, "options of the lead's 'priority' that the deal's 'level' lacks: high"),
    ]


def test_the_conversion_transition_must_exist():
    text = CONVERTED.replace("    conversion:\n", "    conversion:\n      transition: convrt\n")
    assert problems(text) == [(42, "unknown transition 'convrt'")]


# -- intake forms (S-25) -------------------------------------------------------------------------

FORMS = (
    LEAD
    + """\
intake_forms:
  - key: web
    label: {en: Web}
    fields: {name: name, mail: email, area: region}
    required: [name, mail]
"""
)


def test_a_valid_form_loads():
    playbook, _source = load_playbook(FORMS, "tiny.yaml")
    assert playbook.intake_forms[0].fields["mail"] == "email"


def test_a_form_fills_lead_fields_once_each():
    text = FORMS.replace("area: region}", "area: regoin, mail2: email, got: received_at}")
    assert problems(text) == [
        (44, "'regoin' is not a lead field a form can fill"),
        (44, "'email' is filled by the input 'mail' already"),
        (44, "'received_at' is not a lead field a form can fill"),
    ]


def test_a_form_must_fill_the_name():
    text = FORMS.replace("{name: name, mail: email, area: region}", "{mail: email}").replace(
        "required: [name, mail]", "required: [mail]"
    )
    assert problems(text) == [(44, "a form must fill the lead's name")]


def test_required_inputs_must_be_inputs_of_the_form():
    text = FORMS.replace("required: [name, mail]", "required: [name, email]")
    assert problems(text) == [(45, "'email' is not an input of this form")]


def test_a_form_records_a_known_lead_source():
    text = FORMS.replace("    label: {en: Web}\n", "    label: {en: Web}\n    source: webform\n")
    assert problems(text) == [(44, "unknown lead source 'webform'")]


def test_form_keys_are_unique():
    text = FORMS + FORMS[FORMS.index("  - key: web") :]
    assert problems(text) == [(46, "form 'web' twice")]


def test_forms_are_checked_in_a_playbook_without_leads():
    text = FORMS.replace("  lead:\n", "  deal:\n")
    assert problems(text) == [(44, "'region' is not a lead field a form can fill")]


def test_the_lead_sources_the_checks_know_are_the_crm_choices():
    from sopcrm.crm.records.models import LeadSource

    assert set(LEAD_SOURCES) == set(LeadSource.values)
