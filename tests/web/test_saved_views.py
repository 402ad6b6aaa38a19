"""Saved views of the list pages (S-45): saving the filters, sort and columns on screen under a
name, opening them again, sharing them with the team, and what each person sees through one."""

import pytest
from django.urls import reverse

from sopcrm.cli.demo_data import load_demo_data
from sopcrm.core.errors import InvalidInput, NotFound, PermissionDenied
from sopcrm.core.models import User
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.web.models import SavedView
from sopcrm.web.saved_views import (
    saved_view_create,
    saved_view_delete,
    saved_view_list,
    saved_view_update,
)


def _save(client, name: str, query: str, *, shared: bool = False, htmx: bool = False, **extra):
    data = {"list": "deals", "query": query, "name": name, **extra}
    if shared:
        data["shared"] = "on"
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("saved_view_create"), data, headers=headers)


def _view(owner: User, name: str, query: str, *, shared: bool = False) -> SavedView:
    return saved_view_create(
        actor=owner, data={"list_key": "deals", "name": name, "query": query, "shared": shared}
    )


def _titles(response) -> list[str]:
    return [row[0].text for row in response.context["rows"]]


def _tab_names(response) -> list[str]:
    return [link.name for link in response.context["view_links"]]


def test_saving_a_view_stores_the_query_and_opens_it(client_for, people):
    response = _save(client_for(people.alice), "Stuck", "stage=quoted&in_stage=7&page=3")
    view = SavedView.objects.get(owner=people.alice)
    assert (view.list_key, view.name, view.query, view.shared) == (
        "deals",
        "Stuck",
        "stage=quoted&in_stage=7",
        False,
    )
    assert response.status_code == 302
    assert response.url == reverse("deal_list") + "?stage=quoted&in_stage=7"


def test_htmx_save_redirects_the_browser_to_the_view(client_for, people):
    response = _save(client_for(people.alice), "Stuck", "in_stage=7", htmx=True)
    assert response["HX-Redirect"] == reverse("deal_list") + "?in_stage=7"


def test_the_list_page_offers_to_save_its_current_query(client_for, people):
    html = (
        client_for(people.alice)
        .get(reverse("deal_list"), {"no_contact": "5", "sort": "-amount"})
        .content.decode()
    )
    assert '<form id="save-view"' in html
    assert 'name="query" value="no_contact=5&amp;sort=-amount" form="save-view"' in html


def test_opening_a_saved_view_applies_its_filters_and_marks_its_tab(client_for, people):
    deal_create(actor=people.alice, data={"title": "Big", "amount": "900"})
    deal_create(actor=people.alice, data={"title": "Small", "amount": "10"})
    _view(people.alice, "Biggest first", "sort=-amount&cols=title,amount")
    client = client_for(people.alice)
    tab = client.get(reverse("deal_list")).context["view_links"][0]
    assert tab.url == reverse("deal_list") + "?sort=-amount&cols=title,amount"
    response = client.get(tab.url)
    assert _titles(response) == ["Big", "Small"]
    assert [h.label for h in response.context["headers"]] == ["Title", "Amount"]
    assert response.context["view_links"][0].current
    assert 'aria-current="page">Biggest first</a>' in response.content.decode()


def test_own_views_come_first_then_the_shared_ones(client_for, people):
    _view(people.east_manager, "A team view", "no_contact=5", shared=True)
    _view(people.alice, "Mine", "in_stage=3")
    response = client_for(people.alice).get(reverse("deal_list"))
    links = response.context["view_links"]
    assert [(link.name, link.shared_with_me) for link in links] == [
        ("Mine", False),
        ("A team view", True),
    ]


def test_a_teammate_sees_the_managers_shared_view_but_only_their_own_deals(client_for, people):
    deal_create(actor=people.alice, data={"title": "Alice valves"})
    deal_create(actor=people.bob, data={"title": "Bob pumps"})
    _view(people.east_manager, "All open", "sort=title", shared=True)
    client = client_for(people.alice)
    tab = client.get(reverse("deal_list")).context["view_links"][0]
    assert tab.name == "All open"
    assert _titles(client.get(tab.url)) == ["Alice valves"]


def test_a_shared_view_drops_filters_the_reader_does_not_have(client_for, people):
    deal_create(actor=people.alice, data={"title": "Alice valves"})
    _view(people.east_manager, "Bob's", f"owner={people.bob.pk}", shared=True)
    client = client_for(people.alice)
    tab = client.get(reverse("deal_list")).context["view_links"][0]
    assert tab.url == reverse("deal_list")  # a rep has no owner filter: it is not applied
    assert _titles(client.get(tab.url)) == ["Alice valves"]


def test_a_rep_of_another_team_does_not_see_a_shared_view(client_for, people):
    _view(people.east_manager, "East only", "no_contact=5", shared=True)
    assert _tab_names(client_for(people.wendy).get(reverse("deal_list"))) == []
    assert saved_view_list(people.west_manager, "deals") == []


def test_a_view_not_shared_is_seen_by_its_owner_only(client_for, people):
    _view(people.east_manager, "Private", "no_contact=5")
    assert _tab_names(client_for(people.alice).get(reverse("deal_list"))) == []


def test_an_admins_shared_view_is_seen_by_everybody(people):
    _view(people.admin, "Company wide", "no_contact=10", shared=True)
    for person in (people.alice, people.wendy, people.west_manager):
        assert [v.name for v in saved_view_list(person, "deals")] == ["Company wide"]


def test_views_of_one_list_do_not_show_on_another(client_for, people):
    _view(people.alice, "Stuck", "in_stage=7")
    assert _tab_names(client_for(people.alice).get(reverse("lead_list"))) == []


def test_a_name_already_used_on_the_list_is_refused_beside_the_field(client_for, people):
    _view(people.alice, "Stuck", "in_stage=7")
    response = _save(client_for(people.alice), "stuck", "in_stage=9")
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "You already have a view named “stuck” on this list."
    ]
    assert SavedView.objects.filter(owner=people.alice).count() == 1


def test_htmx_refusal_returns_the_form_with_the_message(client_for, people):
    response = _save(client_for(people.alice), "  ", "in_stage=7", htmx=True)
    html = response.content.decode()
    assert '<form id="save-view"' in html
    assert "<html" not in html
    assert "Give the view a name." in html
    assert not SavedView.objects.exists()


def test_the_same_name_may_be_used_on_another_list_or_by_another_person(people):
    _view(people.alice, "Stuck", "in_stage=7")
    saved_view_create(
        actor=people.alice, data={"list_key": "leads", "name": "Stuck", "query": "in_stage=7"}
    )
    _view(people.bob, "Stuck", "in_stage=7")
    assert SavedView.objects.filter(name="Stuck").count() == 3


def test_a_too_long_query_is_refused(client_for, people):
    response = _save(client_for(people.alice), "Long", "q=" + "x" * 1200)
    assert response.status_code == 200
    assert "too long to save" in str(response.context["form"].non_field_errors())
    assert not SavedView.objects.exists()


def test_an_unknown_list_is_refused(people):
    with pytest.raises(InvalidInput) as refused:
        saved_view_create(actor=people.alice, data={"list_key": "users", "name": "X"})
    assert refused.value.problems[0].field == "list_key"


def test_deleting_ones_own_view(client_for, people):
    view = _view(people.alice, "Stuck", "in_stage=7")
    response = client_for(people.alice).post(reverse("saved_view_delete", args=[view.pk]))
    assert response.url == reverse("deal_list")
    assert not SavedView.objects.exists()


def test_a_teammate_cannot_delete_a_shared_view(client_for, people):
    view = _view(people.east_manager, "Team", "no_contact=5", shared=True)
    response = client_for(people.alice).post(reverse("saved_view_delete", args=[view.pk]))
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        saved_view_delete(view, actor=people.alice)
    with pytest.raises(NotFound):
        saved_view_delete(view, actor=people.wendy)
    assert SavedView.objects.count() == 1


def test_only_the_owner_may_rename_or_share(people):
    view = _view(people.east_manager, "Team", "no_contact=5", shared=True)
    with pytest.raises(PermissionDenied):
        saved_view_update(view, actor=people.alice, data={"name": "Mine now"})
    updated = saved_view_update(
        view, actor=people.east_manager, data={"name": "Team, renamed", "shared": False}
    )
    assert (updated.name, updated.shared) == ("Team, renamed", False)


def test_edit_page_renames_and_unshares(client_for, people):
    view = _view(people.east_manager, "Team", "no_contact=5", shared=True)
    client = client_for(people.east_manager)
    response = client.post(reverse("saved_view_edit", args=[view.pk]), {"name": "Quiet deals"})
    assert response.url == reverse("deal_list") + "?no_contact=5"
    view.refresh_from_db()
    assert (view.name, view.shared) == ("Quiet deals", False)


def test_renaming_to_another_own_views_name_is_refused(client_for, people):
    _view(people.alice, "Stuck", "in_stage=7")
    other = _view(people.alice, "Quiet", "no_contact=5")
    response = client_for(people.alice).post(
        reverse("saved_view_edit", args=[other.pk]), {"name": "Stuck"}
    )
    assert "already have a view named" in response.context["form"].errors["name"][0]


def test_the_list_page_offers_to_edit_and_delete_only_own_views(client_for, people):
    _view(people.east_manager, "Team", "no_contact=5", shared=True)
    mine = _view(people.alice, "Stuck", "in_stage=7")
    response = client_for(people.alice).get(reverse("deal_list"))
    assert [v.name for v in response.context["own_views"]] == ["Stuck"]
    assert reverse("saved_view_delete", args=[mine.pk]) in response.content.decode()


def test_htmx_results_carry_the_tabs_out_of_band(client_for, people):
    _view(people.alice, "Quiet", "no_contact=5")
    response = client_for(people.alice).get(
        reverse("deal_list"), {"no_contact": "5"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert 'id="saved-views"' in html
    assert 'hx-swap-oob="true"' in html
    assert 'aria-current="page">Quiet</a>' in html


def test_demo_manager_shares_two_deal_views_and_reloading_adds_none(client_for, db):
    assert load_demo_data()
    assert not load_demo_data()
    manager = User.objects.get(username="wang")
    views = SavedView.objects.filter(owner=manager, shared=True).order_by("pk")
    assert [(v.list_key, v.query) for v in views] == [
        ("deals", "no_contact=5"),
        ("deals", "stage=quoted&in_stage=7"),
    ]
    rep = User.objects.get(username="li")
    response = client_for(rep).get(reverse("deal_list"))
    assert [link.shared_with_me for link in response.context["view_links"]] == [True, True]
