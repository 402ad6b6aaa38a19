"""S-43: a new playbook version applies going forward; records in flight keep working, and a
version that would strand them is refused unless a stage mapping moves them."""

import pytest
import yaml

from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.playbook_apply import StrandedRecords, playbook_apply
from sopcrm.crm.records.services.transitions import record_transition
from sopcrm.playbook.loader import bundled_playbook_path
from sopcrm.process.models import PlaybookVersion

from .test_export_deal_flow import CONTACT

SOURCE = bundled_playbook_path("export_trade").read_text()


def without_contacted_stage():
    """The export playbook without the deal stage 'contacted': 'contact' leads straight to
    'requirements_confirmed'."""
    data = yaml.safe_load(SOURCE)
    pipeline = data["objects"]["deal"]["pipelines"][0]
    pipeline["stages"] = [s for s in pipeline["stages"] if s["key"] != "contacted"]
    for transition in pipeline["transitions"]:
        if transition["to"] == "contacted":
            transition["to"] = "requirements_confirmed"
    pipeline["transitions"] = [t for t in pipeline["transitions"] if t["from"] != ["contacted"]]
    return yaml.safe_dump(data, allow_unicode=True)


def test_applying_an_unchanged_version_reports_no_changes(people):
    result = playbook_apply(source=SOURCE, source_name="export_trade.yaml", actor=None)
    assert not result.diff and result.version.number == 2


def test_open_deals_move_to_the_new_version(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    result = playbook_apply(source=SOURCE, source_name="export_trade.yaml", actor=None)
    deal.refresh_from_db()
    assert deal.playbook_version_id == result.version.pk


def test_removing_a_stage_with_open_deals_is_refused_with_the_records(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    deal = record_transition(deal, transition="contact", data=CONTACT, actor=people.alice).record
    text = without_contacted_stage()
    with pytest.raises(StrandedRecords) as error:
        playbook_apply(source=text, source_name="v2.yaml", actor=None)
    assert error.value.groups[0].record_ids == [deal.pk]
    assert PlaybookVersion.objects.count() == 1


def test_stage_mapping_moves_stranded_deals(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    deal = record_transition(deal, transition="contact", data=CONTACT, actor=people.alice).record
    text = without_contacted_stage()
    result = playbook_apply(
        source=text,
        source_name="v2.yaml",
        actor=None,
        stage_mapping={"deal.contacted": "requirements_confirmed"},
    )
    deal.refresh_from_db()
    assert deal.stage == "requirements_confirmed"
    assert (
        "stages" in result.diff.sections
        and "deal.export.contacted" in result.diff.sections["stages"].removed
    )


def test_deal_moved_to_a_new_version_keeps_working(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    playbook_apply(source=SOURCE, source_name="export_trade.yaml", actor=None)
    deal.refresh_from_db()
    result = record_transition(deal, transition="contact", data=CONTACT, actor=people.alice)
    assert result.record.stage == "contacted"


def test_dry_run_writes_nothing(people):
    playbook_apply(source=SOURCE, source_name="x.yaml", actor=None, dry_run=True)
    assert PlaybookVersion.objects.count() == 1
