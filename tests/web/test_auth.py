"""Signing in and out; every page but the login page needs a signed-in user."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("url_name", ["home", "deal_list", "lead_list", "activity_list"])
def test_anonymous_user_is_redirected_to_login(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


def test_anonymous_user_is_redirected_from_a_record_page(client, db):
    response = client.get(reverse("deal_detail", args=[1]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_renders_a_labelled_form(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'<label for="id_username"' in response.content
    assert b'<label for="id_password"' in response.content


def test_login_with_username_and_password_opens_home(client, people):
    response = client.post(
        reverse("login"), {"username": "alice", "password": "pw-alice-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == people.alice


def test_login_with_a_wrong_password_shows_an_error(client, people):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert response.context["form"].non_field_errors()


def test_logout_signs_the_user_out(client_for, people):
    client = client_for(people.alice)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302
