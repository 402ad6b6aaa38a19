"""Record services validate everything first, write nothing on error, and log every change."""

import pytest

from sopcrm.core.errors import InvalidInput, NotFound
from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.crm.records.models import Account, Activity, Deal, Lead
from sopcrm.crm.records.services.accounts import account_create, account_update
from sopcrm.crm.records.services.contacts import contact_create
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.crm.records.services.leads import lead_create


def _events(record, kind):
    record_type = type(record).__name__.lower()
    return Event.objects.filter(record_type=record_type, record_id=record.pk, kind=kind)


def test_account_country_and_phone_are_normalised(people):
    account = account_create(
        actor=people.alice, data={"name": "Acme", "country": "China", "phone": "138 0013 8000"}
    )
    assert (account.country, account.phone) == ("CN", "+8613800138000")


def test_account_domain_is_derived_from_website(people):
    account = account_create(actor=people.alice, data={"name": "Acme", "website": "www.Acme.de"})
    assert account.domain == "acme.de"


def test_every_bad_field_is_reported_at_once(people):
    with pytest.raises(InvalidInput) as error:
        lead_create(
            actor=people.alice,
            data={"name": "Bob", "country": "Atlantis", "phone": "123", "colour": "red"},
        )
    assert {p.field for p in error.value.problems} == {"country", "phone", "colour"}


def test_failed_create_writes_nothing(people):
    with pytest.raises(InvalidInput):
        lead_create(actor=people.alice, data={"name": "Bob", "country": "Atlantis"})
    assert (Lead.objects.count(), Event.objects.count()) == (0, 0)


def test_missing_required_field_is_named(people):
    with pytest.raises(InvalidInput) as error:
        deal_create(actor=people.alice, data={"amount": "10"})
    assert [p.field for p in error.value.problems] == ["title"]


def test_create_logs_created_stage_entered_and_entry_task(people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    kinds = list(
        Event.objects.filter(record_type=RecordType.DEAL, record_id=deal.pk)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [EventKind.CREATED, EventKind.STAGE_ENTERED, EventKind.ACTIVITY_CREATED]


def test_update_logs_old_and_new_value(people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    account_update(account, actor=people.alice, data={"name": "Acme GmbH"})
    change = _events(account, EventKind.FIELD_CHANGED).get()
    assert change.data == {"field": "name", "old": "Acme", "new": "Acme GmbH"}
    assert change.actor == people.alice


def test_update_with_same_value_logs_nothing(people):
    account = account_create(actor=people.alice, data={"name": "Acme"})
    account_update(account, actor=people.alice, data={"name": "Acme"})
    assert not _events(account, EventKind.FIELD_CHANGED).exists()


def test_custom_field_change_is_logged_per_field(people):
    deal = deal_create(actor=people.alice, data={"title": "V", "custom": {"region": "sea"}})
    deal_update(deal, actor=people.alice, data={"custom": {"region": "latam", "competitor": "X"}})
    changes = {e.data["field"]: e.data for e in _events(deal, EventKind.FIELD_CHANGED)}
    assert changes["custom.region"] == {"field": "custom.region", "old": "sea", "new": "latam"}
    assert changes["custom.competitor"]["new"] == "X"


def test_custom_field_update_keeps_other_custom_values(people):
    deal = deal_create(actor=people.alice, data={"title": "V", "custom": {"region": "sea"}})
    deal = deal_update(deal, actor=people.alice, data={"custom": {"competitor": "X"}})
    assert deal.custom == {"region": "sea", "competitor": "X"}


def test_rep_cannot_edit_manager_only_field(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    with pytest.raises(InvalidInput) as error:
        deal_update(
            deal,
            actor=people.alice,
            data={"custom": {"floor_price": {"amount": "1", "currency": "USD"}}},
        )
    assert error.value.problems[0].code == "not_editable"


def test_manager_reassigns_within_team_and_it_is_logged(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    deal_update(deal, actor=people.east_manager, data={"owner": people.bob.pk})
    change = _events(deal, EventKind.OWNER_CHANGED).get()
    assert change.data == {"old": people.alice.pk, "new": people.bob.pk}


def test_a_new_owner_takes_over_the_open_tasks(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    deal_update(deal, actor=people.east_manager, data={"owner": people.bob.pk})
    assert set(Activity.objects.filter(deal=deal).values_list("owner", flat=True)) == {
        people.bob.pk
    }


def test_manager_cannot_assign_to_another_team(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    with pytest.raises(InvalidInput) as error:
        deal_update(deal, actor=people.east_manager, data={"owner": people.wendy.pk})
    assert error.value.problems[0].field == "owner"


def test_rep_cannot_give_a_record_away(people):
    deal = deal_create(actor=people.alice, data={"title": "V"})
    with pytest.raises(InvalidInput):
        deal_update(deal, actor=people.alice, data={"owner": people.bob.pk})


def test_rep_cannot_update_another_reps_record(people):
    deal = deal_create(actor=people.bob, data={"title": "V"})
    with pytest.raises(NotFound):
        deal_update(deal, actor=people.alice, data={"title": "Mine now"})


def test_deal_cannot_point_at_an_invisible_account(people):
    account = account_create(actor=people.wendy, data={"name": "West Co"})
    with pytest.raises(InvalidInput) as error:
        deal_create(actor=people.alice, data={"title": "V", "account": account.pk})
    assert (error.value.problems[0].field, error.value.problems[0].code) == ("account", "not_found")
    assert Deal.objects.count() == 0


def test_contact_email_is_validated(people):
    with pytest.raises(InvalidInput) as error:
        contact_create(actor=people.alice, data={"name": "X", "email": "not-an-address"})
    assert error.value.problems[0].field == "email"


def test_account_name_too_long_is_refused(people):
    with pytest.raises(InvalidInput):
        account_create(actor=people.alice, data={"name": "x" * 201})
    assert Account.objects.count() == 0
