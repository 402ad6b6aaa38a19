"""`sopcrm playbook check|apply|diagram|show`."""

import pytest
from django.core.management import call_command

from sopcrm.playbook.loader import bundled_playbook_path
from sopcrm.process.models import PlaybookVersion

BROKEN = """\
key: broken
name: {en: Broken}
objects:
  deal:
    fields:
      - key: region
        label: {en: Region}
        type: text
        requried: true
    tasks:
      - key: a
        title: {en: A}
        due: {after: 1 day, from: task.b.completed}
      - key: b
        title: {en: B}
        due: {after: 1 day, from: task.a.completed}
      - key: c
        title: {en: C}
        due: {after: 1 day, from: field.nowhere}
    pipelines:
      - key: main
        label: {en: Main}
        stages:
          - {key: new, label: {en: New}, probability: 10}
          - {key: orphan, label: {en: Orphan}, probability: 10}
          - {key: won, label: {en: Won}, kind: won, probability: 100}
        transitions:
          - {key: win, label: {en: Win}, from: [new], to: won, requires: [regoin]}
          - {key: reopen, label: {en: Reopen}, from: [won], to: new}
          - {key: jump, label: {en: Jump}, from: [new], to: nowhere}
"""


@pytest.fixture
def broken_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    return path


def test_check_accepts_the_bundled_playbooks(capsys):
    call_command("playbook", "check", "export_trade", "generic_b2b")
    assert "export_trade: OK" in capsys.readouterr().out


def test_check_exits_1_on_a_broken_playbook(broken_file):
    with pytest.raises(SystemExit) as exit_info:
        call_command("playbook", "check", str(broken_file))
    assert exit_info.value.code == 1


def test_check_reports_every_problem_with_file_line_and_key(broken_file, capsys):
    with pytest.raises(SystemExit):
        call_command("playbook", "check", str(broken_file))
    err = capsys.readouterr().err
    expected = [
        f"{broken_file}:9:9: objects.deal.fields[0].requried: unknown key 'requried'",
        "task anchors form a cycle: a -> b -> a",
        "unknown anchor field 'nowhere'",
        "stage 'orphan' cannot be reached from 'new'",
        "the transition asks for 'regoin', which is not a field (hint: did you mean 'region'?)",
        "'won' is a won stage; a closed stage is final",
        "unknown stage 'nowhere'",
    ]
    missing = [text for text in expected if text not in err]
    assert not missing, err


def test_apply_shows_changes_and_activates_a_new_version(db, capsys, tmp_path):
    source = (
        bundled_playbook_path("export_trade")
        .read_text()
        .replace("probability: 50", "probability: 55")
    )
    path = tmp_path / "export_trade.yaml"
    path.write_text(source)
    call_command("playbook", "apply", str(path))
    out = capsys.readouterr().out
    assert "~ stages deal.export.quoted" in out
    assert PlaybookVersion.objects.get(is_active=True).number == 2


def test_apply_refuses_a_broken_file_and_changes_nothing(db, broken_file):
    with pytest.raises(SystemExit):
        call_command("playbook", "apply", str(broken_file))
    assert PlaybookVersion.objects.count() == 1


def test_diagram_prints_mermaid_for_each_pipeline(db, capsys):
    call_command("playbook", "diagram", "--language", "zh")
    out = capsys.readouterr().out
    assert "%% deal.export\nstateDiagram-v2" in out and "已报价" in out


def test_check_warns_about_years_without_official_holiday_data(capsys):
    import time_machine

    with time_machine.travel("2030-03-01T00:00:00+08:00", tick=False):
        call_command("playbook", "check", "export_trade")
    assert "CN has no official holiday calendar for 2030" in capsys.readouterr().out


def test_check_has_no_calendar_warning_for_a_published_year(capsys):
    import time_machine

    with time_machine.travel("2025-03-01T00:00:00+08:00", tick=False):
        call_command("playbook", "check", "export_trade")
    assert "warning" not in capsys.readouterr().out
