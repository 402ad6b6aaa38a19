"""Edit and create forms call the record services; service errors show beside the field."""

from datetime import date
from decimal import Decimal

from django.urls import reverse

from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.crm.records import selectors
from sopcrm.crm.records.services.accounts import account_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.crm.records.services.leads import lead_create


def _deal_form(deal, **changes) -> dict:
    """The edit form as the browser posts it, untouched but for `changes`."""
    data = {
        "title": deal.title,
        "account": deal.account_id or "",
        "contact": deal.contact_id or "",
        "amount": deal.amount if deal.amount is not None else "",
        "currency": deal.currency,
        "expected_close_on": deal.expected_close_on or "",
        "owner": deal.owner_id or "",
    }
    data.update(changes)
    return data


def _deal_events(deal, kind) -> list[Event]:
    return list(Event.objects.filter(record_type=RecordType.DEAL, record_id=deal.pk, kind=kind))


def test_editing_a_deal_changes_it_and_writes_a_field_changed_event(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves", "amount": "100"})
    response = client_for(people.alice).post(
        reverse("deal_edit", args=[deal.pk]),
        _deal_form(deal, amount="1200.50", expected_close_on="2030-05-01", custom__region="latam"),
    )
    assert response.status_code == 302
    assert response.url == reverse("deal_detail", args=[deal.pk])
    deal.refresh_from_db()
    assert deal.amount == Decimal("1200.50")
    assert deal.expected_close_on == date(2030, 5, 1)
    assert deal.custom["region"] == "latam"
    changed = {e.data["field"]: e.data for e in _deal_events(deal, EventKind.FIELD_CHANGED)}
    assert changed["amount"]["new"] == "1200.50"
    assert changed["custom.region"]["new"] == "latam"


def test_saving_an_untouched_deal_form_writes_no_event(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves", "amount": "100"})
    client_for(people.alice).post(reverse("deal_edit", args=[deal.pk]), _deal_form(deal))
    assert _deal_events(deal, EventKind.FIELD_CHANGED) == []


def test_bad_country_shows_the_error_beside_the_field_and_changes_nothing(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Acme", "country": "DE"})
    response = client_for(people.alice).post(
        reverse("account_edit", args=[account.pk]),
        {"name": "Acme Renamed", "country": "Atlantis", "owner": people.alice.pk},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["country"] == ["Unknown country: Atlantis."]
    html = response.content.decode()
    assert 'id="id_country_error"' in html
    assert 'aria-invalid="true"' in html
    account.refresh_from_db()
    assert account.name == "Acme"
    assert account.country == "DE"


def test_bad_custom_money_currency_shows_the_error_beside_the_custom_field(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    response = client_for(people.alice).post(
        reverse("lead_edit", args=[lead.pk]),
        {
            "name": "Ann",
            "source": lead.source,
            "owner": people.alice.pk,
            "custom__target_price_amount": "12.5",
            "custom__target_price_currency": "ZZZ",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["custom__target_price"]
    lead.refresh_from_db()
    assert "target_price" not in lead.custom


def test_edit_form_saves_custom_money_bool_multi_choice_and_date(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    client_for(people.alice).post(
        reverse("deal_edit", args=[deal.pk]),
        _deal_form(
            deal,
            custom__requirements_clear="true",
            custom__lost_reasons=["spec_mismatch", "price_too_high"],
            custom__quote_date="2030-01-02",
            custom__discount_percent="7.5",
        ),
    )
    deal.refresh_from_db()
    assert deal.custom["requirements_clear"] is True
    assert deal.custom["lost_reasons"] == ["price_too_high", "spec_mismatch"]
    assert deal.custom["quote_date"] == "2030-01-02"
    assert deal.custom["discount_percent"] == 7.5


def test_manager_sets_the_floor_price_through_the_form(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    form = _deal_form(deal, custom__floor_price_amount="900", custom__floor_price_currency="usd")
    client_for(people.east_manager).post(reverse("deal_edit", args=[deal.pk]), form)
    deal.refresh_from_db()
    assert deal.custom["floor_price"] == {"amount": "900.00", "currency": "USD"}


def test_rep_edit_form_has_no_manager_only_fields(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(reverse("deal_edit", args=[deal.pk]))
    fields = response.context["form"].fields
    assert "custom__region" in fields
    assert "custom__floor_price" not in fields
    assert "custom__cost_price" not in fields


def test_rep_cannot_post_a_manager_only_field(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    client_for(people.alice).post(
        reverse("deal_edit", args=[deal.pk]),
        _deal_form(deal, custom__floor_price_amount="1", custom__floor_price_currency="USD"),
    )
    deal.refresh_from_db()
    assert "floor_price" not in deal.custom


def test_edit_form_shows_stored_custom_values(client_for, people):
    deal = deal_create(
        actor=people.alice,
        data={"title": "Valves", "custom": {"region": "sea", "quote_date": "2030-01-02"}},
    )
    html = client_for(people.alice).get(reverse("deal_edit", args=[deal.pk])).content.decode()
    assert '<option value="sea" selected>' in html
    assert 'value="2030-01-02"' in html


def test_new_deal_form_creates_a_deal_with_the_user_as_owner(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    response = client_for(people.alice).post(
        reverse("deal_create"),
        {
            "title": "New valves",
            "account": account.pk,
            "currency": "USD",
            "amount": "10",
            "owner": people.alice.pk,
            "custom__region": "eu_us",
        },
    )
    deal = selectors.deal_list(people.alice).get(title="New valves")
    assert response.url == reverse("deal_detail", args=[deal.pk])
    assert deal.owner == people.alice
    assert deal.account == account
    assert deal.custom == {"region": "eu_us"}


def test_new_deal_from_a_lead_page_is_linked_to_the_lead(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    client = client_for(people.alice)
    page = client.get(reverse("deal_create"), {"lead": lead.pk})
    assert page.context["form"].initial["lead"] == lead.pk
    client.post(
        reverse("deal_create") + f"?lead={lead.pk}",
        {"title": "From Ann", "lead": lead.pk, "currency": "USD", "owner": people.alice.pk},
    )
    assert selectors.deal_list(people.alice).get(title="From Ann").lead == lead


def test_new_lead_with_a_bad_email_shows_the_error_and_creates_nothing(client_for, people):
    response = client_for(people.alice).post(
        reverse("lead_create"),
        {"name": "Ann", "email": "not-an-email", "source": "email", "owner": people.alice.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not selectors.lead_list(people.alice).exists()


def test_new_account_form_creates_an_account(client_for, people):
    client_for(people.alice).post(
        reverse("account_create"),
        {
            "name": "Acme",
            "website": "https://www.acme.example",
            "country": "Germany",
            "owner": people.alice.pk,
        },
    )
    account = selectors.account_list(people.alice).get()
    assert account.country == "DE"
    assert account.domain == "acme.example"


def test_new_contact_from_an_account_page_is_linked_to_it(client_for, people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    client = client_for(people.alice)
    page = client.get(reverse("contact_create"), {"account": account.pk})
    assert page.context["form"].initial["account"] == account.pk
    client.post(
        reverse("contact_create"), {"name": "Ann", "account": account.pk, "owner": people.alice.pk}
    )
    assert selectors.contact_list(people.alice).get().account == account


def test_rep_cannot_link_a_contact_to_another_reps_account(client_for, people):
    other = account_create(actor=people.wendy, data={"name": "West Co"})
    response = client_for(people.alice).post(
        reverse("contact_create"), {"name": "Ann", "account": other.pk, "owner": people.alice.pk}
    )
    assert response.context["form"].errors["account"]
    assert not selectors.contact_list(people.alice).exists()


def test_manager_reassigns_a_deal_through_the_form(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    client_for(people.east_manager).post(
        reverse("deal_edit", args=[deal.pk]), _deal_form(deal, owner=people.bob.pk)
    )
    deal.refresh_from_db()
    assert deal.owner == people.bob
    assert _deal_events(deal, EventKind.OWNER_CHANGED)


# -- Editing a field group in place on the record page (htmx) ----------------------------------

HTMX = {"HX-Request": "true"}


def _group_url(name, record, group):
    return reverse(name, args=[record.pk]) + f"?group={group}"


def test_edit_button_of_a_group_opens_its_form_in_place(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    client = client_for(people.alice)
    page = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    # Without JavaScript the button is the Edit page's link; htmx fetches the group's form.
    assert f'href="{reverse("deal_edit", args=[deal.pk])}"' in page
    assert f'hx-get="{_group_url("deal_edit", deal, "details")}"' in page
    response = client.get(_group_url("deal_edit", deal, "details"), headers=HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="fields-details"' in html
    assert set(response.context["group"].form.fields) == {
        "title",
        "account",
        "contact",
        "amount",
        "currency",
        "expected_close_on",
        "owner",
    }
    assert "HX-Request" in response["Vary"]


def test_editing_in_place_saves_the_changed_field_and_logs_it(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves", "amount": "100"})
    response = client_for(people.alice).post(
        _group_url("deal_edit", deal, "details"),
        _deal_form(deal, amount="250"),
        headers=HTMX,
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.amount == Decimal("250")
    [changed] = _deal_events(deal, EventKind.FIELD_CHANGED)
    assert (changed.data["field"], changed.data["new"]) == ("amount", "250.00")
    html = response.content.decode()
    # The group's values again, and the timeline swapped out of band with the change on it.
    assert "USD 250.00" in html
    assert 'id="timeline" aria-labelledby="timeline-heading" hx-swap-oob="true"' in html
    assert "Amount: 100.00 → 250.00" in html


def test_editing_custom_fields_in_place_sends_only_that_group(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves", "amount": "100"})
    client_for(people.alice).post(
        _group_url("deal_edit", deal, "custom"), {"custom__region": "latam"}, headers=HTMX
    )
    deal.refresh_from_db()
    assert deal.custom["region"] == "latam"
    assert (deal.title, deal.amount) == ("Valves", Decimal("100"))


def test_editing_in_place_refuses_a_bad_value_beside_the_field_and_saves_nothing(
    client_for, people
):
    account = account_create(actor=people.alice, data={"name": "Acme", "country": "DE"})
    response = client_for(people.alice).post(
        _group_url("account_edit", account, "details"),
        {"name": "Acme Renamed", "country": "Atlantis", "owner": people.alice.pk},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.context["group"].form.errors["country"] == ["Unknown country: Atlantis."]
    assert 'id="id_details_country_error"' in response.content.decode()
    account.refresh_from_db()
    assert (account.name, account.country) == ("Acme", "DE")
    assert not Event.objects.filter(
        record_type=RecordType.ACCOUNT, record_id=account.pk, kind=EventKind.FIELD_CHANGED
    ).exists()


def test_reps_in_place_form_has_no_manager_only_fields(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(_group_url("deal_edit", deal, "custom"), headers=HTMX)
    fields = response.context["group"].form.fields
    assert "custom__region" in fields
    assert "custom__floor_price" not in fields
    assert "custom__cost_price" not in fields
    assert "Floor price" not in response.content.decode()


def test_managers_in_place_form_has_the_floor_price(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.east_manager).get(
        _group_url("deal_edit", deal, "custom"), headers=HTMX
    )
    assert "custom__floor_price" in response.context["group"].form.fields


def test_cancel_shows_the_groups_values_again(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves", "amount": "100"})
    response = client_for(people.alice).get(
        _group_url("deal_edit", deal, "details") + "&view=read", headers=HTMX
    )
    group = response.context["group"]
    assert group.form is None
    assert "USD 100.00" in response.content.decode()


def test_group_edit_without_htmx_is_the_whole_edit_page(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    response = client_for(people.alice).get(_group_url("deal_edit", deal, "details"))
    assert "<html" in response.content.decode()
    assert "custom__region" in response.context["form"].fields


def test_fields_set_by_the_checklist_stay_read_only_in_the_in_place_form(client_for, people):
    lead = lead_create(actor=people.alice, data={"name": "Ann"})
    response = client_for(people.alice).get(_group_url("lead_edit", lead, "custom"), headers=HTMX)
    group = response.context["group"]
    assert "custom__priority" not in group.form.fields
    assert "custom__buyer_strength" in group.form.fields
    assert "Priority" in [row.label for row in group.readonly_rows]
