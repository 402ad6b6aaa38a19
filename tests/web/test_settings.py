"""Settings: the profile (display name and email, through core.users.user_update_profile), the
interface language (as the top bar's switch sets it), the password, and personal API tokens:
listed by prefix only, created with the secret shown once and stored hashed, revoked after a
confirmation, and never another user's."""

from django.conf import settings
from django.urls import reverse

from sopcrm.core.models import ApiToken
from sopcrm.core.tokens import token_authenticate, token_create


def test_settings_page_has_profile_language_and_token_sections(client_for, people):
    html = client_for(people.alice).get(reverse("settings")).content.decode()
    assert f'action="{reverse("settings_profile")}"' in html
    assert f'action="{reverse("settings_language")}"' in html
    assert f'action="{reverse("token_create")}"' in html
    assert f'href="{reverse("password_change")}"' in html


def test_profile_update_saves_the_display_name_and_email(client_for, people):
    response = client_for(people.alice).post(
        reverse("settings_profile"),
        {"display_name": "Alice Chen", "email": "Alice@Example.COM"},
    )
    assert response.status_code == 302
    people.alice.refresh_from_db()
    assert (people.alice.display_name, people.alice.email) == ("Alice Chen", "Alice@example.com")


def test_a_bad_email_is_refused_beside_the_field_and_nothing_is_saved(client_for, people):
    response = client_for(people.alice).post(
        reverse("settings_profile"), {"display_name": "Alice Chen", "email": "not-an-email"}
    )
    assert response.status_code == 200
    assert response.context["profile_form"].errors["email"] == [
        "Not an e-mail address: not-an-email."
    ]
    assert 'id="id_profile_email_error"' in response.content.decode()
    people.alice.refresh_from_db()
    assert (people.alice.display_name, people.alice.email) == ("", "")


def test_language_choice_is_saved_on_the_user_and_in_the_cookie(client_for, people):
    response = client_for(people.alice).post(reverse("settings_language"), {"language": "zh-hans"})
    assert response.status_code == 302
    people.alice.refresh_from_db()
    assert people.alice.language == "zh-hans"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_an_unknown_language_is_refused(client_for, people):
    response = client_for(people.alice).post(reverse("settings_language"), {"language": "xx"})
    assert response.status_code == 200
    assert response.context["language_form"].errors["language"]
    people.alice.refresh_from_db()
    assert people.alice.language == ""


def test_a_created_token_is_shown_once_and_stored_hashed(client_for, people):
    client = client_for(people.alice)
    response = client.post(reverse("token_create"), {"name": "Spreadsheet"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=people.alice)
    assert token.digest != secret and secret not in token.digest
    assert token_authenticate(secret) == people.alice  # the secret shown is the real one
    settings_page = client.get(reverse("settings")).content.decode()
    assert "Spreadsheet" in settings_page
    assert token.prefix in settings_page
    assert secret not in settings_page


def test_a_token_needs_a_name(client_for, people):
    response = client_for(people.alice).post(reverse("token_create"), {"name": ""})
    assert response.status_code == 200
    assert response.context["token_form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_revoking_a_token_asks_to_confirm_then_stops_it(client_for, people):
    issued = token_create(user=people.alice, name="Script")
    client = client_for(people.alice)
    url = reverse("token_revoke", args=[issued.token.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None  # asking is not revoking
    response = client.post(url)
    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert token_authenticate(issued.secret) is None


def test_another_users_token_cannot_be_revoked(client_for, people):
    issued = token_create(user=people.bob, name="Bob's script")
    client = client_for(people.alice)
    url = reverse("token_revoke", args=[issued.token.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None
    assert "Bob's script" not in client.get(reverse("settings")).content.decode()


def test_password_change_keeps_the_user_signed_in(client_for, people):
    client = client_for(people.alice)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-alice-1",
            "new_password1": "a-much-longer-pass-42",
            "new_password2": "a-much-longer-pass-42",
        },
    )
    assert response.status_code == 302
    people.alice.refresh_from_db()
    assert people.alice.check_password("a-much-longer-pass-42")
    assert client.get(reverse("settings")).status_code == 200


def test_password_change_with_a_wrong_old_password_is_refused(client_for, people):
    response = client_for(people.alice).post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "a-much-longer-pass-42",
            "new_password2": "a-much-longer-pass-42",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    people.alice.refresh_from_db()
    assert people.alice.check_password("pw-alice-1")
