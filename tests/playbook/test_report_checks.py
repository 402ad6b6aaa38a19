"""An object's `reports` keys name a stage, field or SLA it defines, of a type the reports can
read; a mistake is reported at its file line with a hint."""

import pytest

from sopcrm.playbook.loader import PlaybookError, load_playbook

DEAL = """\
key: tiny
name: {en: Tiny}
objects:
  deal:
    fields:
      - key: reasons
        label: {en: Reasons}
        type: multi_choice
        options:
          - {key: price, label: {en: Price}}
      - key: note
        label: {en: Note}
        type: text
      - key: again
        label: {en: Again}
        type: choice
        options:
          - {key: soon, label: {en: Soon}}
    pipelines:
      - key: sales
        label: {en: Sales}
        stages:
          - {key: new, label: {en: New}, probability: 10}
          - {key: quoted, label: {en: Quoted}, probability: 50}
          - {key: lost, label: {en: Lost}, kind: lost, probability: 0}
        transitions:
          - {key: quote, label: {en: Quote}, from: [new], to: quoted}
          - {key: lose, label: {en: Lose}, from: ["*"], to: lost}
    reports:
      quote_stage: quoted
      lost_reasons: reasons
      competitor: note
      reactivation: again
"""


def problems(text):
    with pytest.raises(PlaybookError) as error:
        load_playbook(text, "tiny.yaml")
    return [(p.line, p.message) for p in error.value.problems]


def test_valid_report_keys_load():
    playbook, _source = load_playbook(DEAL, "tiny.yaml")
    reports = playbook.object("deal").reports
    assert (reports.quote_stage, reports.lost_reasons, reports.reactivation) == (
        "quoted",
        "reasons",
        "again",
    )


def test_an_unknown_quote_stage_is_named_with_a_hint():
    found = problems(DEAL.replace("quote_stage: quoted", "quote_stage: quotd"))
    assert found == [(30, "unknown stage 'quotd'")]


def test_lost_reasons_must_be_a_choice_field():
    found = problems(DEAL.replace("lost_reasons: reasons", "lost_reasons: note"))
    assert found == [(31, "'note' is a text field; a choice or multi_choice is needed")]


def test_an_unknown_response_sla_is_refused():
    found = problems(DEAL.replace("      reactivation: again\n", "      response_sla: first\n"))
    assert found == [(33, "unknown SLA 'first'")]


def test_an_unknown_report_key_is_refused():
    found = problems(DEAL.replace("      reactivation: again\n", "      funnel: yes\n"))
    assert found[0][0] == 33
