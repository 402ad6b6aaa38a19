"""The Django admin manages people and teams; tokens, events and playbook versions are
read-only there, and records are not in it at all."""

from django.contrib import admin
from django.urls import reverse

from sopcrm.core.models import ApiToken, Event, RecordType, Team, User
from sopcrm.core.tokens import token_create
from sopcrm.crm.records.models import Account, Activity, Contact, Deal, Lead
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.process.models import PlaybookVersion


def test_admin_is_reachable_for_an_admin(client_for, people):
    response = client_for(people.admin).get(reverse("admin:index"))
    assert response.status_code == 200


def test_admin_is_not_reachable_for_a_rep(client_for, people):
    response = client_for(people.alice).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_admin_link_shows_for_admins_only(client_for, people):
    admin_url = reverse("admin:index")
    assert admin_url in client_for(people.admin).get(reverse("home")).content.decode()
    assert admin_url not in client_for(people.alice).get(reverse("home")).content.decode()


def test_admin_user_page_edits_role_team_and_language(client_for, people):
    response = client_for(people.admin).get(
        reverse("admin:core_user_change", args=[people.alice.pk])
    )
    html = response.content.decode()
    for field in ("role", "team", "display_name", "language"):
        assert f'name="{field}"' in html


def test_admin_adds_a_user_with_a_role_and_team(client_for, people):
    response = client_for(people.admin).post(
        reverse("admin:core_user_add"),
        {
            "username": "carol",
            "usable_password": "true",
            "password1": "Xy7!long-pass",
            "password2": "Xy7!long-pass",
            "role": "rep",
            "team": people.east.pk,
            "display_name": "Carol",
            "email": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    carol = User.objects.get(username="carol")
    assert (carol.role, carol.team) == ("rep", people.east)


def test_admin_manages_teams(client_for, people):
    client_for(people.admin).post(reverse("admin:core_team_add"), {"name": "South"})
    assert Team.objects.filter(name="South").exists()


def test_event_log_is_read_only_in_the_admin(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    event = Event.objects.filter(record_type=RecordType.DEAL, record_id=deal.pk).first()
    client = client_for(people.admin)
    assert client.get(reverse("admin:core_event_changelist")).status_code == 200
    page = client.get(reverse("admin:core_event_change", args=[event.pk]))
    assert page.status_code == 200
    assert b'type="submit"' not in page.content.split(b"<footer")[0].split(b'id="content"')[1]
    assert client.get(reverse("admin:core_event_add")).status_code == 403
    assert client.post(reverse("admin:core_event_delete", args=[event.pk])).status_code == 403


def test_api_token_admin_never_shows_the_digest(client_for, people):
    issued = token_create(user=people.alice, name="laptop")
    client = client_for(people.admin)
    listing = client.get(reverse("admin:core_apitoken_changelist")).content.decode()
    detail = client.get(
        reverse("admin:core_apitoken_change", args=[issued.token.pk])
    ).content.decode()
    assert "laptop" in listing
    assert issued.token.digest not in listing
    assert issued.token.digest not in detail
    assert ApiToken.objects.filter(pk=issued.token.pk).exists()


def test_playbook_versions_are_read_only_in_the_admin(client_for, people):
    version = PlaybookVersion.objects.get(is_active=True)
    client = client_for(people.admin)
    assert client.get(reverse("admin:process_playbookversion_changelist")).status_code == 200
    assert client.get(reverse("admin:process_playbookversion_add")).status_code == 403
    response = client.post(
        reverse("admin:process_playbookversion_change", args=[version.pk]), {"key": "changed"}
    )
    assert response.status_code == 403


def test_records_are_not_editable_in_the_admin(db):
    for model in (Account, Contact, Lead, Deal, Activity):
        assert not admin.site.is_registered(model)
