"""The stored form of a lead's company name (Lead.company_key, company_head, company_tail) by
which the duplicate check finds its candidates with an index; and the e-mail domain column."""

from sopcrm.core.clock import now
from sopcrm.crm.records.models import Lead
from sopcrm.crm.records.services.duplicates import company_index, duplicate_find
from sopcrm.crm.records.services.leads import lead_create, lead_update
from sopcrm.process.playbooks import active_version


def test_a_name_with_numbers_is_found_by_its_numbers():
    index = company_index("Factory 12 No. 3 GmbH")
    assert (index.key, index.head, index.tail) == ("factory 12 no 3", "#12 3", "")


def test_a_name_without_numbers_is_found_by_its_first_and_last_word():
    index = company_index("The Acme Trading Co., Ltd.")
    assert (index.key, index.head, index.tail) == ("acme trading", "acme", "trading")


def test_a_chinese_name_is_found_by_its_first_and_last_two_characters():
    index = company_index("宁波阀门有限公司")
    assert (index.key, index.head, index.tail) == ("宁波阀门", "宁波", "阀门")


def test_a_new_lead_stores_the_form_of_its_company(people):
    lead = lead_create(actor=people.alice, data={"name": "A", "company": "Rio Pumps Ltda"})
    lead.refresh_from_db()
    assert (lead.company_key, lead.company_head, lead.company_tail) == ("rio pumps", "rio", "pumps")


def test_changing_the_company_changes_the_stored_form(people):
    lead = lead_create(actor=people.alice, data={"name": "A", "company": "Rio Pumps"})
    lead_update(lead, actor=people.alice, data={"company": "Sul Valves Ltda"})
    lead.refresh_from_db()
    assert (lead.company_key, lead.company_head, lead.company_tail) == (
        "sul valves",
        "sul",
        "valves",
    )
    assert duplicate_find({"company": "Sul Valves"}) == lead
    assert duplicate_find({"company": "Rio Pumps"}) is None


def test_a_misspelt_first_word_is_found_by_the_last(people):
    first = lead_create(actor=people.alice, data={"name": "A", "company": "Siemens Valves"})
    assert duplicate_find({"company": "Siemmens Valves AG"}) == first


def test_a_lead_written_without_the_stored_form_is_still_checked(people):
    """Rows inserted in bulk (generated data) have no stored form: the check reads the name."""
    at = now()
    (lead,) = Lead.objects.bulk_create(
        [
            Lead(
                name="Bulk",
                company="Acme Trading Co., Ltd.",
                playbook_version=active_version(),
                pipeline="inquiry",
                stage="new",
                stage_entered_at=at,
                received_at=at,
                created_at=at,
                updated_at=at,
            )
        ]
    )
    assert Lead.objects.get(pk=lead.pk).company_key is None
    assert duplicate_find({"company": "ACME Trading Company Limited"}) == lead


def test_the_email_domain_is_kept_by_the_database(people):
    lead = lead_create(actor=people.alice, data={"name": "A", "email": "Hans@Acme.example"})
    assert Lead.objects.get(pk=lead.pk).email_domain == "acme.example"
    assert duplicate_find({"email": "jo@acme.example"}) == lead
