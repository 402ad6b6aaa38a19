"""A transition's `my_day` label puts the owner's records waiting for it on their My day page
(S-45); it is checked when the playbook loads."""

import pytest

from sopcrm.playbook.loader import (
    PlaybookError,
    bundled_playbook_path,
    load_playbook,
    load_playbook_file,
)

PLAYBOOK = """\
key: tiny
name: {en: Tiny}
objects:
  deal:
    pipelines:
      - key: main
        label: {en: Main}
        stages:
          - {key: new, label: {en: New}, probability: 10}
          - {key: won, label: {en: Won}, kind: won, probability: 100}
          - {key: lost, label: {en: Lost}, kind: lost, probability: 0}
        transitions:
          - key: win
            label: {en: Won}
            from: [new]
            to: won
            MY_DAY
          - {key: lose, label: {en: Lost}, from: [new], to: lost}
"""


def _load(my_day):
    return load_playbook(PLAYBOOK.replace("MY_DAY", my_day), "tiny.yaml")


def _problems(my_day):
    with pytest.raises(PlaybookError) as error:
        _load(my_day)
    return error.value.problems


def _transition(playbook, key):
    return playbook.object("deal").default_pipeline.transition(key)


def test_my_day_is_a_label_in_each_language():
    playbook, _source = _load("my_day: {en: Orders to close, zh: 待成交}")
    label = _transition(playbook, "win").my_day
    assert (label.for_language("en"), label.for_language("zh-hans")) == (
        "Orders to close",
        "待成交",
    )


def test_my_day_is_optional():
    playbook, _source = _load("")
    assert _transition(playbook, "win").my_day is None


def test_my_day_needs_an_english_text():
    [problem] = _problems("my_day: {zh: 待成交}")
    assert problem.path.startswith("objects.deal.pipelines[0].transitions[0].my_day")


def test_a_misspelt_language_in_my_day_is_refused():
    [problem] = _problems("my_day: {en: Orders to close, fr: Commandes}")
    assert problem.path == "objects.deal.pipelines[0].transitions[0].my_day.fr"


def test_my_day_on_a_transition_the_owner_may_not_take_is_refused():
    [problem] = _problems("my_day: {en: Orders to close}\n            allowed: [manager]")
    assert problem.path == "objects.deal.pipelines[0].transitions[0].my_day"
    assert "the owner may not take it" in problem.message


def test_my_day_on_a_transition_into_a_lost_stage_is_refused():
    text = PLAYBOOK.replace("MY_DAY", "").replace(
        "to: lost}", "to: lost, my_day: {en: Deals to lose}}"
    )
    with pytest.raises(PlaybookError) as error:
        load_playbook(text, "tiny.yaml")
    [problem] = error.value.problems
    assert problem.path == "objects.deal.pipelines[0].transitions[1].my_day"
    assert "lost stage" in problem.message


@pytest.mark.parametrize(
    ("name", "transition", "label"),
    [("export_trade", "send_quote", "待发报价"), ("generic_b2b", "propose", "待发方案")],
)
def test_the_bundled_playbooks_put_their_quote_step_on_my_day(name, transition, label):
    playbook, _source = load_playbook_file(bundled_playbook_path(name))
    marked = [t.key for p in playbook.object("deal").pipelines for t in p.transitions if t.my_day]
    assert marked == [transition]
    assert _transition(playbook, transition).my_day.for_language("zh-hans") == label
