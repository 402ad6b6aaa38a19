"""docs/messaging.md stays true: its merge-field table lists exactly the declared merge fields,
and its playbook example is a valid `email_templates` entry of the export-trade playbook."""

import re
from pathlib import Path

from sopcrm.playbook.loader import bundled_playbook_path, load_playbook
from sopcrm.playbook.schema import MERGE_FIELDS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "messaging.md").read_text(encoding="utf-8")


def test_merge_field_table_lists_every_merge_field():
    table = DOC.split("## Merge fields", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))
    assert names == MERGE_FIELDS


def test_playbook_example_is_valid():
    section = DOC.split("## In the playbook: `email_templates`", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    entries = example.split("email_templates:\n", 1)[1]
    bundled = Path(bundled_playbook_path("export_trade")).read_text(encoding="utf-8")
    playbook, _source = load_playbook(bundled.rstrip("\n") + "\n" + entries, "messaging.md")
    template = next(t for t in playbook.email_templates if t.key == "chase_1_latam")
    assert (template.language, template.region, template.cta_section.key) == (
        "es",
        "latam",
        "next_step",
    )
