"""Front-end files are vendored into the package and served by WhiteNoise, not a CDN."""

from django.urls import reverse


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_vendored_htmx_is_served(client, db):
    response = client.get("/static/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    assert b"htmx" in _body(response)


def test_vendored_pico_css_and_app_css_are_served(client, db):
    assert client.get("/static/vendor/pico/pico.min.css").status_code == 200
    assert client.get("/static/web/app.css").status_code == 200


def test_pages_load_scripts_from_this_site_only(client, db):
    html = client.get(reverse("login")).content.decode()
    assert 'src="/static/vendor/htmx/htmx.min.js"' in html
    assert "https://" not in html.split("<body")[0]


def test_pages_have_no_inline_scripts(client_for, people):
    html = client_for(people.alice).get(reverse("deal_list")).content.decode()
    assert "<script>" not in html
    assert " onclick=" not in html
