"""The playbook's `email_templates`: checked strictly when the playbook loads, seeded into the team
library once, never overwriting what the team edited."""

from pathlib import Path

import pytest

from sopcrm.crm.messaging.models import EmailTemplate, TemplateStatus
from sopcrm.crm.messaging.services.seeding import templates_seed_from_playbook
from sopcrm.crm.messaging.services.templates import template_archive, template_update
from sopcrm.crm.records.services.playbook_apply import playbook_apply
from sopcrm.playbook.loader import PlaybookError, bundled_playbook_path, load_playbook
from sopcrm.process.models import PlaybookVersion

BUNDLED = Path(bundled_playbook_path("export_trade")).read_text(encoding="utf-8")
KEYS = {
    "first_reply",
    "quote_cover",
    "chase_1",
    "chase_2",
    "chase_3",
    "retouch_high",
    "retouch_medium",
    "retouch_low",
    "won_check",
}

TINY = """\
key: tiny
name: {en: Tiny}
email_templates:
  - key: hello
    name: {en: Hello}
    purpose: other
    subject: "Hello {{ contact_first_name }}"
    sections:
      - key: greeting
        title: {en: Greeting}
        kind: fixed
        text: "Dear {{ contact_frist_name }},"
      - key: next_step
        title: {en: Next step}
        kind: free
        required: true
"""


def test_bundled_templates_follow_the_s37_structure():
    playbook, _source = load_playbook(BUNDLED, "export_trade.yaml")
    assert {t.key for t in playbook.email_templates} == KEYS
    for template in playbook.email_templates:
        assert template.language == "en"
        assert template.name.zh
        kinds = {s.key: (s.kind.value, s.required, s.role) for s in template.sections}
        assert list(kinds) == [
            "greeting",
            "recap",
            "key_info",
            "differentiators",
            "next_step",
            "closing",
        ]
        assert kinds["differentiators"] == ("free", True, None)
        assert kinds["next_step"] == ("free", True, "cta")
        assert {kinds[k][0] for k in ("greeting", "recap", "key_info", "closing")} == {"fixed"}
        assert all(s.title.zh for s in template.sections)


def test_broken_template_entry_is_reported_with_line_and_path():
    with pytest.raises(PlaybookError) as error:
        load_playbook(TINY, "tiny.yaml")
    found = [(p.line, p.column, p.path, p.message) for p in error.value.problems]
    assert found == [
        (
            8,
            5,
            "email_templates[0].sections",
            "no call-to-action section",
        ),
        (
            12,
            9,
            "email_templates[0].sections[0].text",
            "section 'greeting': unknown merge field 'contact_frist_name'",
        ),
    ]
    assert "did you mean 'contact_first_name'?" in str(error.value)


def test_unknown_key_in_a_template_is_reported():
    text = TINY.replace("        required: true\n", "        required: true\n        role: cta\n")
    text = text.replace("    purpose: other\n", "    purpose: other\n    stage: [new]\n")
    with pytest.raises(PlaybookError) as error:
        load_playbook(text, "tiny.yaml")
    [unknown, merge_field] = error.value.problems
    assert (unknown.line, unknown.path) == (7, "email_templates[0].stage")
    assert unknown.message == "unknown key 'stage'"
    assert unknown.hint == "did you mean 'stages'?"
    assert merge_field.path == "email_templates[0].sections[0].text"


def test_seeding_creates_the_playbooks_templates_once(people):
    # The active version was seeded when the database was prepared (tests/conftest.py), as
    # `sopcrm serve` does.
    version = PlaybookVersion.objects.get(is_active=True)
    seeded = list(EmailTemplate.objects.all())
    assert {t.key for t in seeded} == KEYS
    assert all(t.owner is None and t.status == TemplateStatus.ACTIVE for t in seeded)
    assert seeded[0].origin == f"export_trade v{version.number}"
    assert templates_seed_from_playbook(version) == []
    assert EmailTemplate.objects.count() == len(KEYS)


def test_applying_a_new_version_adds_new_templates_and_keeps_edited_ones(people, library):
    template_update(library["chase_1"], actor=people.east_manager, data={"subject": "Edited"})
    template_archive(library["retouch_low"], actor=people.east_manager)
    changed = BUNDLED.replace(
        'subject: "Our quotation for {{ product }}: any questions?"',
        'subject: "Changed in the playbook"',
    ).replace("  - key: won_check\n", "  - key: won_check_v2\n")
    result = playbook_apply(source=changed, source_name="export_trade.yaml", actor=people.admin)
    assert result.version is not None
    team = {t.key: t for t in EmailTemplate.objects.filter(owner__isnull=True)}
    assert team["chase_1"].subject == "Edited"
    assert team["retouch_low"].status == TemplateStatus.ARCHIVED
    assert team["won_check_v2"].origin == f"export_trade v{result.version.number}"
    assert len(team) == len(KEYS) + 1
