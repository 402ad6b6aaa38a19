"""Who gets an inquiry (S-26), by the playbook's `assignment:` rules, through the form and the
API batch: round robin, weights, away and capped members skipped, no match = unassigned."""

from datetime import timedelta

from django.test import Client

from sopcrm.crm.records.models import Lead

from .conftest import at, batch, owners, pool_rule, post_form, use_assignment


def leads(n, **extra):
    return [{"name": f"Buyer {i}", "email": f"b{i}@shop{i}.example", **extra} for i in range(n)]


def test_round_robin_pool_alternates(admin_client, people):
    use_assignment(people.admin, pool_rule("alice", "bob"))
    for i in range(2):
        post_form(Client(), {"name": f"Web {i}", "email": f"w{i}@web{i}.example"})
    batch(admin_client, leads(3))
    assert owners() == ["alice", "bob", "alice", "bob", "alice"]
    assert set(Lead.objects.values_list("assignment_rule", flat=True)) == {"pool"}


def test_weighted_3_to_1_splits_8_leads_6_and_2(admin_client, people):
    use_assignment(people.admin, pool_rule(("alice", 3), ("bob", 1), method="weighted"))
    batch(admin_client, leads(8))
    assert owners() == ["alice", "alice", "bob", "alice"] * 2


def test_a_team_pool_is_its_reps(admin_client, people):
    use_assignment(
        people.admin, {"rules": [{"key": "west", "label": {"en": "West"}, "team": "West"}]}
    )
    batch(admin_client, leads(2))
    assert owners() == ["wendy", "wendy"]


def test_someone_away_until_today_is_skipped(admin_client, people, frozen):
    frozen(at(2025, 11, 3, 10))
    use_assignment(people.admin, pool_rule("alice", "bob"))
    people.alice.away_until = at(2025, 11, 3).date()
    people.alice.save()
    batch(admin_client, leads(3))
    assert owners() == ["bob", "bob", "bob"]
    frozen(at(2025, 11, 4, 9))  # back today
    batch(admin_client, leads(1))
    assert owners()[-1] == "alice"


def test_a_daily_cap_sends_the_rest_to_the_queue_until_tomorrow(admin_client, people, frozen):
    frozen(at(2025, 11, 3, 10))
    use_assignment(people.admin, pool_rule("alice", "bob", daily_cap=2))
    batch(admin_client, leads(5))
    assert owners() == ["alice", "bob", "alice", "bob", None]
    frozen(at(2025, 11, 3, 10) + timedelta(days=1))
    batch(admin_client, [{"name": "Tomorrow"}])
    assert owners()[-1] == "alice"


def test_least_open_goes_to_the_rep_with_fewest_open_leads(admin_client, people):
    from sopcrm.crm.records.services.leads import lead_create

    for _ in range(2):
        lead_create(actor=people.alice, data={"name": "Alice's own"})
    use_assignment(people.admin, pool_rule("alice", "bob", method="least_open"))
    response = batch(admin_client, leads(3))
    created = Lead.objects.filter(pk__in=[r["lead"] for r in response.json()["results"]])
    assert owners(created.order_by("pk")) == ["bob", "bob", "alice"]


def test_no_rule_matching_leaves_the_lead_unassigned(admin_client, people):
    use_assignment(
        people.admin,
        {
            "rules": [
                {
                    "key": "germany",
                    "label": {"en": "Germany"},
                    "when": "country == 'DE'",
                    "pool": [{"user": "wendy"}],
                }
            ]
        },
    )
    post_form(Client(), {"name": "US buyer", "email": "a@us.example", "country": "US"})
    post_form(Client(), {"name": "DE buyer", "email": "b@de.example", "country": "DE"})
    assert owners() == [None, "wendy"]
    queued = Lead.objects.get(name="US buyer")
    assert (queued.assigned_at, queued.assignment_rule) == (None, "")
    # The unassigned queue is the managers': they see it, reps do not.
    manager = Client()
    manager.force_login(people.east_manager)
    assert manager.get(f"/api/leads/{queued.pk}").status_code == 200
    rep = Client()
    rep.force_login(people.alice)
    assert rep.get(f"/api/leads/{queued.pk}").status_code == 404


def test_an_owner_named_in_the_batch_skips_the_rules(admin_client, people):
    use_assignment(people.admin, pool_rule("alice", "bob"))
    batch(admin_client, [{"name": "For Wendy", "owner": people.wendy.pk}, {"name": "Next"}])
    assert owners() == ["wendy", "alice"]
