"""Record pages: visible records only, custom fields labelled in the reader's language and hidden
from those who may not see them, the stage path, related records and a readable timeline."""

from django.urls import reverse

from sopcrm.core.models import RecordType
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create

from .conftest import walk

FLOOR = {"amount": "98262.17", "currency": "USD"}
COST = {"amount": "73519.5", "currency": "USD"}


def test_rep_gets_404_for_another_reps_deal(client_for, people):
    deal = deal_create(actor=people.bob, data={"title": "Bob pumps"})
    response = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    assert response.status_code == 404


def test_rep_gets_404_for_another_reps_account_edit_page(client_for, people):
    account = account_create(actor=people.wendy, data={"name": "West Co"})
    response = client_for(people.alice).get(reverse("account_edit", args=[account.pk]))
    assert response.status_code == 404


def test_manager_opens_a_team_members_deal(client_for, people):
    deal = deal_create(actor=people.bob, data={"title": "Bob pumps"})
    response = client_for(people.east_manager).get(reverse("deal_detail", args=[deal.pk]))
    assert response.status_code == 200
    assert "Bob pumps" in response.content.decode()


def test_deal_page_shows_money_with_currency_and_option_labels(client_for, people):
    deal = deal_create(
        actor=people.alice,
        data={
            "title": "Valves",
            "amount": "1200",
            "currency": "USD",
            "custom": {"region": "sea", "lost_reasons": ["price_too_high", "spec_mismatch"]},
        },
    )
    html = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert "USD 1,200.00" in html
    assert "South-East Asia" in html
    assert "Price too high, Specification mismatch" in html
    assert ">sea<" not in html


def test_rep_never_sees_cost_or_floor_price_on_the_deal_page(client_for, people):
    deal = deal_create(
        actor=people.east_manager,
        data={
            "title": "Valves",
            "owner": people.alice.pk,
            "custom": {"floor_price": FLOOR, "cost_price": COST},
        },
    )
    html = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert "Floor price" not in html
    assert "Cost price" not in html
    assert "98,262.17" not in html and "98262.17" not in html
    assert "73,519.50" not in html and "73519.50" not in html


def test_manager_sees_cost_and_floor_price_on_the_deal_page(client_for, people):
    deal = deal_create(
        actor=people.east_manager,
        data={
            "title": "Valves",
            "owner": people.alice.pk,
            "custom": {"floor_price": FLOOR, "cost_price": COST},
        },
    )
    html = (
        client_for(people.east_manager).get(reverse("deal_detail", args=[deal.pk])).content.decode()
    )
    assert "Floor price" in html
    assert "USD 98,262.17" in html
    assert "Cost price" in html
    assert "USD 73,519.50" in html


def test_rep_timeline_says_a_hidden_field_changed_without_its_value(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal_update(deal, actor=people.east_manager, data={"custom": {"floor_price": FLOOR}})
    response = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    texts = [entry.text for entry in response.context["timeline"]]
    assert "Floor price changed (hidden)" in texts
    assert "98262" not in response.content.decode().replace(",", "")


def test_timeline_shows_field_changes_as_old_and_new_values(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves", "amount": "1000"})
    deal_update(deal, actor=people.alice, data={"amount": "1200", "custom": {"region": "latam"}})
    response = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    texts = [entry.text for entry in response.context["timeline"]]
    assert "Amount: 1,000.00 → 1,200.00" in texts
    assert "Region: — → Latin America" in texts
    assert "Created" in texts


def test_timeline_shows_stage_moves_with_stage_labels(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    walk(deal, "contacted", people.alice)
    response = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    texts = [entry.text for entry in response.context["timeline"]]
    assert "Entered stage Contacted" in texts
    assert "Left stage New after 0.0 days" in texts


def test_timeline_shows_owner_changes_by_name(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    deal_update(deal, actor=people.east_manager, data={"owner": people.bob.pk})
    response = client_for(people.east_manager).get(reverse("deal_detail", args=[deal.pk]))
    texts = [entry.text for entry in response.context["timeline"]]
    assert "Owner: alice → bob" in texts


def test_deal_page_shows_the_stage_path(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    walk(deal, "quoted", people.alice)
    response = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    states = {step.label: step.state for step in response.context["path"]}
    assert states["New"] == "past"
    assert states["Requirements confirmed"] == "past"
    assert states["Quoted"] == "current"
    assert states["Following up"] == "future"
    assert states["Won"] == "future"
    assert 'aria-current="step"' in response.content.decode()


def test_lost_deal_does_not_show_won_as_past(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    walk(deal, "lost", people.alice)
    response = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    states = {step.label: step.state for step in response.context["path"]}
    assert states["Lost"] == "current"
    assert states["Won"] == "future"


def test_deal_page_links_its_account_and_contact(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    contact = contact_create(actor=people.alice, data={"name": "Ann", "account": account.pk})
    deal = deal_create(
        actor=people.alice, data={"title": "Valves", "account": account.pk, "contact": contact.pk}
    )
    html = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert f'href="{reverse("account_detail", args=[account.pk])}"' in html
    assert f'href="{reverse("contact_detail", args=[contact.pk])}"' in html


def test_account_page_lists_its_contacts_and_deals(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    contact_create(actor=people.alice, data={"name": "Ann", "account": account.pk})
    deal_create(
        actor=people.alice,
        data={"title": "Valves", "account": account.pk, "amount": "50", "currency": "EUR"},
    )
    response = client_for(people.alice).get(reverse("account_detail", args=[account.pk]))
    html = response.content.decode()
    assert "Ann" in html
    assert "Valves" in html
    assert "New · EUR 50.00" in html


def test_lead_page_lists_deals_made_from_it(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann", "company": "Acme"})
    deal_create(actor=people.alice, data={"title": "Acme valves", "lead": lead.pk})
    html = client_for(people.alice).get(reverse("lead_detail", args=[lead.pk])).content.decode()
    assert "Acme valves" in html


def test_account_page_shows_custom_fields_labelled_in_chinese(client_for, people):
    people.alice.language = "zh-hans"
    people.alice.save()
    account = account_create(
        actor=people.alice, data={"name": "Acme", "custom": {"customer_tier": "a"}}
    )
    response = client_for(people.alice).get(reverse("account_detail", args=[account.pk]))
    labels = [row.label for row in response.context["custom_rows"]]
    assert "客户等级" in labels
    assert "年采购额" in labels


def test_record_type_label_matches_the_page(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    response = client_for(people.alice).get(reverse("account_detail", args=[account.pk]))
    assert response.context["record_type"] == RecordType.ACCOUNT


def test_lead_page_shows_tasks_checklist_fields_timeline_then_related_records(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann", "message": "Need 500 valves"})
    html = client_for(people.alice).get(reverse("lead_detail", args=[lead.pk])).content.decode()
    order = [
        'class="stage-bar"',
        'id="open-tasks"',
        'id="checklist"',
        'id="fields-details"',
        'id="fields-custom"',
        'id="timeline"',
        'id="inquiry-heading"',
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
