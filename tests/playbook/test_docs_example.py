"""The worked example in docs/playbook.md is a valid playbook."""

import re
from pathlib import Path

from sopcrm.playbook.loader import load_playbook

DOC = Path(__file__).resolve().parents[2] / "docs" / "playbook.md"


def test_worked_example_in_the_docs_passes_check():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## A complete worked example", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    playbook, _source = load_playbook(example.group(1), "docs/playbook.md")
    assert playbook.key == "spare_parts"
