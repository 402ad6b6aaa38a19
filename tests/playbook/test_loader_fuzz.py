"""Fuzzing the loader: any text, and any YAML data, gives a playbook or a PlaybookError naming
the file, the line and column, and (for a well-formed document) the key — never another
exception."""

import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sopcrm.playbook.loader import PlaybookError, bundled_playbook_path, load_playbook

BUNDLED = yaml.safe_load(bundled_playbook_path("export_trade").read_text())

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
yaml_data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=25,
)


def _loads_or_reports(text, *, keyed=False):
    """`keyed`: the text is a mapping, so every problem can name the key it is about."""
    try:
        load_playbook(text, "fuzz.yaml")
    except PlaybookError as error:
        assert error.problems
        lines = text.count("\n") + 2  # a problem at the end of the text may be one line past it
        for problem in error.problems:
            assert problem.file == "fuzz.yaml"
            assert 1 <= problem.line <= lines and problem.column >= 1
            assert problem.message
            assert str(problem).startswith(f"fuzz.yaml:{problem.line}:{problem.column}: ")
            if keyed:
                assert problem.path, problem


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_never_raises_anything_but_playbook_error(text):
    _loads_or_reports(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_data)
def test_random_yaml_data_never_raises_anything_but_playbook_error(data):
    _loads_or_reports(yaml.safe_dump(data, allow_unicode=True))


# Each example loads the whole bundled playbook (~0.4 s): few by default, more on demand.
@settings(
    max_examples=int(os.environ.get("SOPCRM_FUZZ_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_mutated_bundled_playbook_never_raises_anything_but_playbook_error(data):
    """Replace one value somewhere in the real playbook with random data."""
    document = yaml.safe_load(yaml.safe_dump(BUNDLED))
    node = document
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node, key=str)))
            if not isinstance(node[key], dict | list):
                node[key] = data.draw(yaml_data)
                break
            node = node[key]
        elif isinstance(node, list) and node:
            index = data.draw(st.integers(min_value=0, max_value=len(node) - 1))
            if not isinstance(node[index], dict | list):
                node[index] = data.draw(yaml_data)
                break
            node = node[index]
        else:
            break
    _loads_or_reports(yaml.safe_dump(document, allow_unicode=True), keyed=True)
