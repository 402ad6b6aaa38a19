"""The language switch remembers the choice on the user and in the cookie."""

from django.conf import settings
from django.urls import reverse

from sopcrm.core.models import User


def test_language_switch_saves_the_language_and_the_next_page_is_chinese(client_for, people):
    client = client_for(people.alice)
    response = client.post(
        reverse("language"), {"language": "zh-hans", "next": reverse("deal_list")}
    )
    assert response.url == reverse("deal_list")
    assert User.objects.get(pk=people.alice.pk).language == "zh-hans"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    html = client.get(reverse("deal_list")).content.decode()
    assert '<html lang="zh-hans">' in html


def test_saved_language_wins_over_the_browser(client_for, people):
    people.alice.language = "zh-hans"
    people.alice.save()
    html = (
        client_for(people.alice)
        .get(reverse("home"), headers={"accept-language": "en"})
        .content.decode()
    )
    assert '<html lang="zh-hans">' in html


def test_switching_back_to_english(client_for, people):
    people.alice.language = "zh-hans"
    people.alice.save()
    client = client_for(people.alice)
    client.post(reverse("language"), {"language": "en"})
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_unknown_language_changes_nothing(client_for, people):
    client = client_for(people.alice)
    client.post(reverse("language"), {"language": "klingon"})
    assert User.objects.get(pk=people.alice.pk).language == ""


def test_anonymous_language_switch_sets_the_cookie_for_the_login_page(client, db):
    response = client.post(reverse("language"), {"language": "zh-hans", "next": reverse("login")})
    assert response.url == reverse("login")
    assert '<html lang="zh-hans">' in client.get(reverse("login")).content.decode()


def test_language_switch_does_not_redirect_to_another_site(client_for, people):
    response = client_for(people.alice).post(
        reverse("language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")
