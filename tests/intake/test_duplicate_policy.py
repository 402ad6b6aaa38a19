"""The playbook's duplicate policy on intake (S-25): `link` creates the lead linked to the one it
duplicates; `merge` logs the repeat inquiry on that lead instead. Never dropped."""

import pytest
import yaml
from django.test import Client

from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.crm.records.models import Activity, Lead
from sopcrm.crm.records.services.intake import IntakeItem, IntakeOutcome, leads_intake_many
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.playbook.loader import bundled_playbook_path
from sopcrm.process.playbooks import playbook_activate

from .conftest import batch, post_form


@pytest.fixture
def merge_policy(people):
    document = yaml.safe_load(bundled_playbook_path("export_trade").read_text())
    document["objects"]["lead"]["duplicates"] = {"on_intake": "merge", "company_similarity": 90}
    source = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    playbook_activate(source=source, source_name="merge.yaml", actor=people.admin)


def test_link_policy_creates_a_linked_lead(people):
    first = lead_create(actor=people.wendy, data={"name": "Hans", "email": "hans@acme.example"})
    post_form(Client(), {"name": "Hans", "email": "Hans@acme.example", "message": "Again"})
    second = Lead.objects.exclude(pk=first.pk).get()
    assert second.duplicate_of == first
    assert Event.objects.filter(
        record_type=RecordType.LEAD, record_id=second.pk, kind=EventKind.DUPLICATE_FOUND
    ).exists()


def test_merge_policy_logs_the_repeat_inquiry_on_the_existing_lead(people, merge_policy):
    first = lead_create(actor=people.wendy, data={"name": "Hans", "email": "hans@acme.example"})
    response = post_form(
        Client(),
        {
            "name": "Hans Müller",
            "email": "hans@acme.example",
            "phone": "+49 30 901820",
            "quantity": "800",
            "message": "Now 800 pieces, please.",
        },
    )
    assert response.status_code == 302
    assert Lead.objects.count() == 1
    note = Activity.objects.get(lead=first, kind="note")
    assert (note.direction, note.summary, note.owner) == (
        "inbound",
        "Now 800 pieces, please.",
        people.wendy,
    )
    assert "+4930901820" in note.body
    assert "quantity: 800" in note.body
    merged = Event.objects.get(record_type=RecordType.LEAD, record_id=first.pk, kind="merged")
    assert merged.data["inquiry"]["name"] == "Hans Müller"
    first.refresh_from_db()
    assert first.name == "Hans"  # the lead keeps its values


def test_merge_policy_still_refuses_a_bad_inquiry(people, merge_policy):
    lead_create(actor=people.wendy, data={"name": "Hans", "email": "hans@acme.example"})
    response = post_form(Client(), {"name": "Hans", "email": "hans@acme.example", "quantity": "x"})
    assert response.status_code == 422
    assert not Activity.objects.filter(kind="note").exists()


def test_a_reps_batch_merged_into_another_reps_lead_reveals_nothing(people, merge_policy):
    wendys = lead_create(actor=people.wendy, data={"name": "Hans", "email": "hans@acme.example"})
    client = Client()
    client.force_login(people.alice)
    response = batch(client, [{"name": "Hans", "email": "hans@acme.example"}])
    result = response.json()["results"][0]
    assert (result["outcome"], result["lead"], result["duplicate_of"]) == ("merged", None, None)
    note = Activity.objects.get(lead=wendys, kind="note")
    assert (note.created_by.username, note.owner) == ("sopcrm-automation", people.wendy)


def test_a_row_merged_earlier_in_the_same_batch_counts_as_imported(people, merge_policy):
    # A batch's events are written at its chunk's end: the second row with the same import
    # fingerprint must still find the first one's merge among the events held back.
    first = lead_create(actor=people.wendy, data={"name": "Hans", "email": "hans@acme.example"})
    repeat = {"name": "Hans M.", "email": "hans@acme.example", "message": "800 pcs"}
    results = leads_intake_many(
        [IntakeItem(repeat, import_key="row-7"), IntakeItem(repeat, import_key="row-7")],
        actor=people.admin,
    )
    assert [r.outcome for r in results] == [IntakeOutcome.MERGED, IntakeOutcome.ALREADY_IMPORTED]
    assert [r.lead for r in results] == [first, first]
    assert Activity.objects.filter(lead=first, kind="note").count() == 1
