"""Finding the lead an inquiry duplicates (S-25): e-mail, phone, company domain (not free-mail),
similar company name; the earliest match; a lead merged away stands for the one it went into."""

import pytest

from sopcrm.crm.records.services.duplicates import (
    company_key,
    duplicate_candidates,
    duplicate_find,
    is_free_mail,
)
from sopcrm.crm.records.services.leads import lead_create
from sopcrm.crm.records.services.merging import lead_merge


@pytest.fixture
def lead(people):
    def make(**data):
        return lead_create(actor=people.alice, data={"name": "Someone", **data})

    return make


def test_same_email_in_other_case_is_a_duplicate(lead):
    first = lead(email="Hans.Mueller@Acme.de")
    assert duplicate_find({"email": "hans.mueller@ACME.DE "}) == first
    assert duplicate_candidates({"email": "HANS.MUELLER@acme.de"}) == [(first, "email")]


def test_same_phone_written_another_way_is_a_duplicate(lead):
    first = lead(phone="+86 138 0013 8000")
    assert duplicate_find({"phone": "138-0013-8000", "country": "China"}) == first
    assert duplicate_candidates({"phone": "+8613800138000"}) == [(first, "phone")]


def test_a_phone_without_its_country_is_read_in_the_inquiry_country(lead):
    lead(phone="+49 30 901820")
    assert duplicate_find({"phone": "030 901820", "country": "US"}) is None


def test_same_company_email_domain_is_a_duplicate(lead):
    first = lead(email="buyer@riopumps.com.br")
    assert duplicate_candidates({"email": "sales@RioPumps.com.br"}) == [(first, "domain")]


@pytest.mark.parametrize("domain", ["gmail.com", "qq.com", "163.com", "hotmail.fr", "yahoo.co.uk"])
def test_free_mail_domains_do_not_match(lead, domain):
    lead(email=f"someone@{domain}")
    assert is_free_mail(domain)
    assert duplicate_find({"email": f"someone.else@{domain}"}) is None


def test_similar_company_names_match_without_their_legal_form(lead):
    first = lead(company="Acme Trading Co., Ltd.")
    assert company_key("ACME Trading Company Limited") == company_key("Acme Trading Co., Ltd.")
    assert duplicate_candidates({"company": "ACME Trading Company Limited"}) == [(first, "company")]


def test_chinese_company_names_match_without_their_legal_form(lead):
    first = lead(company="宁波阀门有限公司")
    assert duplicate_find({"company": "宁波阀门股份有限公司"}) == first


def test_a_slightly_misspelt_company_of_the_same_country_matches(lead):
    first = lead(company="Rio Pumps Ltda", country="BR")
    assert duplicate_find({"company": "Rioo Pumps", "country": "Brazil"}) == first


def test_different_companies_do_not_match(lead):
    lead(company="Acme Trading Co., Ltd.")
    lead(company="Factory 1 GmbH")
    assert duplicate_find({"company": "Apex Manufacturing Ltd"}) is None
    assert duplicate_find({"company": "Factory 10 GmbH"}) is None


def test_company_similarity_follows_the_playbook(lead, people):
    from sopcrm.playbook.loader import bundled_playbook_path
    from sopcrm.process.playbooks import playbook_activate

    first = lead(company="Acme Trading")
    assert duplicate_find({"company": "Acme Tradin Group"}) is None
    source = bundled_playbook_path("export_trade").read_text()
    source = source.replace("company_similarity: 90", "company_similarity: 70", 1)
    playbook_activate(source=source, source_name="loose.yaml", actor=people.admin)
    assert duplicate_find({"company": "Acme Tradin Group"}) == first


def test_the_earliest_match_is_returned_and_each_lead_listed_once(lead):
    first = lead(company="Acme Trading", email="a@acme.example")
    second = lead(email="b@acme.example", phone="+8613800138000")
    found = duplicate_candidates(
        {"email": "b@acme.example", "phone": "+8613800138000", "company": "Acme Trading Ltd"}
    )
    assert found == [(first, "domain"), (second, "email")]
    assert duplicate_find({"email": "b@acme.example"}) == first


def test_exclude_leaves_the_lead_itself_out(lead):
    first = lead(email="a@acme.example")
    assert duplicate_find({"email": "a@acme.example"}, exclude=first.pk) is None


def test_nothing_to_match_on_finds_nothing(lead):
    lead(email="a@acme.example", company="Acme")
    assert duplicate_find({"name": "Someone"}) is None
    assert duplicate_find({"email": "not an address", "phone": "123"}) is None


def test_a_lead_merged_away_stands_for_the_lead_it_went_into(lead, people):
    older = lead(email="hans@acme.example")
    newer = lead(email="hans.m@acme.example", company="Acme")
    lead_merge(newer, older, actor=people.alice)
    assert duplicate_find({"email": "hans@acme.example"}) == newer
