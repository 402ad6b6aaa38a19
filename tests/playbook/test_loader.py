"""Loading a playbook file: the bundled ones are valid; a broken one gets precise errors."""

import pytest

from sopcrm.playbook.loader import (
    PlaybookError,
    bundled_playbook_path,
    load_playbook,
    load_playbook_file,
)

MINIMAL = """\
key: tiny
name: {en: Tiny}
objects:
  deal:
    fields:
      - key: region
        label: {en: Region}
        type: choice
        options:
          - {key: eu, label: {en: EU}}
    pipelines:
      - key: main
        label: {en: Main}
        stages:
          - {key: new, label: {en: New}, probability: 10}
          - {key: won, label: {en: Won}, kind: won, probability: 100}
"""


def _problems(text):
    with pytest.raises(PlaybookError) as error:
        load_playbook(text, "tiny.yaml")
    return error.value.problems


def test_bundled_export_trade_playbook_loads():
    playbook, _source = load_playbook_file(bundled_playbook_path("export_trade"))
    stages = [s.key for s in playbook.object("deal").default_pipeline.stages]
    assert stages == [
        "new",
        "contacted",
        "requirements_confirmed",
        "quoted",
        "following_up",
        "won",
        "lost",
    ]


def test_minimal_playbook_loads():
    playbook, _source = load_playbook(MINIMAL, "tiny.yaml")
    assert playbook.object("deal").field("region").option_keys == ("eu",)


def test_misspelt_key_is_reported_with_line_and_column():
    text = MINIMAL.replace("        type: choice", "        type: choice\n        requried: true")
    [problem] = _problems(text)
    assert (problem.file, problem.line, problem.column) == ("tiny.yaml", 9, 9)
    assert problem.path == "objects.deal.fields[0].requried"
    assert "unknown key 'requried'" in problem.message


def test_every_problem_is_reported_at_once():
    text = MINIMAL.replace("probability: 10}", "probability: 'ten'}").replace(
        "type: choice", "type: colour"
    )
    paths = {p.path for p in _problems(text)}
    assert paths == {
        "objects.deal.fields[0].type",
        "objects.deal.pipelines[0].stages[0].probability",
    }


def test_string_is_not_coerced_to_number():
    [problem] = _problems(MINIMAL.replace("probability: 10}", 'probability: "10"}'))
    assert problem.path.endswith("probability")


def test_choice_without_options_is_refused():
    text = MINIMAL.replace("        options:\n          - {key: eu, label: {en: EU}}\n", "")
    [problem] = _problems(text)
    assert "needs options" in problem.message


def test_duplicate_stage_key_is_refused():
    text = MINIMAL.replace("{key: won, label: {en: Won}", "{key: new, label: {en: Won}")
    [problem] = _problems(text)
    assert problem.path == "objects.deal.pipelines[0].stages[1].key"


def test_duplicate_mapping_key_is_refused():
    [problem] = _problems(MINIMAL.replace("key: tiny\n", "key: tiny\nkey: again\n"))
    assert problem.message == "duplicate key"


def test_invalid_yaml_reports_position():
    [problem] = _problems("key: [unclosed\n")
    assert problem.line >= 1 and "not valid YAML" in problem.message


def test_top_level_must_be_a_mapping():
    [problem] = _problems("- a\n- b\n")
    assert "mapping" in problem.message
