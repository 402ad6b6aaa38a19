"""Who sees which records: a rep their own, a manager the team's, an admin all."""

from sopcrm.crm.records import selectors
from sopcrm.crm.records.services.deals import deal_create


def test_rep_sees_only_own_deals(people):
    own = deal_create(actor=people.alice, data={"title": "Alice's"})
    deal_create(actor=people.bob, data={"title": "Bob's"})
    assert list(selectors.deal_list(people.alice)) == [own]


def test_manager_sees_team_deals_but_not_other_teams(people):
    alice_deal = deal_create(actor=people.alice, data={"title": "Alice's"})
    bob_deal = deal_create(actor=people.bob, data={"title": "Bob's"})
    deal_create(actor=people.wendy, data={"title": "Wendy's"})
    assert set(selectors.deal_list(people.east_manager)) == {alice_deal, bob_deal}


def test_admin_sees_every_deal(people):
    deal_create(actor=people.alice, data={"title": "A"})
    deal_create(actor=people.wendy, data={"title": "W"})
    assert selectors.deal_list(people.admin).count() == 2
