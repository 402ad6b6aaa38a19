"""Settings → Signatures (S-39): each user keeps their own signatures, with the languages,
regions and product lines each suits and one default; reached from the user's name."""

from django.urls import reverse

from sopcrm.crm.messaging.models import Signature
from sopcrm.crm.messaging.services.signatures import signature_create


def test_the_settings_page_is_reached_from_the_users_name(client_for, people):
    html = client_for(people.alice).get(reverse("home")).content.decode()
    assert f'<a href="{reverse("settings")}"' in html
    response = client_for(people.alice).get(reverse("settings"))
    assert response.status_code == 200
    assert "You have no signature yet." in response.content.decode()


def test_create_edit_and_delete_a_signature(client_for, people):
    client = client_for(people.alice)
    form = client.get(reverse("signature_create")).context["form"]
    assert ("es", "Spanish") in form.fields["languages"].choices
    assert ("latam", "Latin America") in form.fields["regions"].choices
    response = client.post(
        reverse("signature_create"),
        {
            "name": "Spanish, Latin America",
            "body": "Saludos,\nAlice Chen",
            "languages": ["es"],
            "regions": ["latam"],
            "product_lines": ["custom"],
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("settings")
    signature = Signature.objects.get(user=people.alice)
    assert (signature.languages, signature.regions, signature.product_lines) == (
        ["es"],
        ["latam"],
        ["custom"],
    )
    assert signature.is_default  # the first one is
    page = client.get(reverse("settings"))
    [item] = page.context["items"]
    assert (item.languages, item.regions, item.product_lines) == (
        "Spanish",
        "Latin America",
        "Custom / OEM",
    )

    second = client.post(
        reverse("signature_create"),
        {
            "name": "English",
            "body": "Best regards,\nAlice",
            "languages": ["en"],
            "is_default": "on",
        },
    )
    assert second.status_code == 302
    english = Signature.objects.get(user=people.alice, name="English")
    signature.refresh_from_db()
    assert english.is_default and not signature.is_default

    response = client.post(
        reverse("signature_edit", args=[signature.pk]),
        {"name": "Spanish", "body": "Saludos cordiales,\nAlice", "languages": ["es", "pt"]},
    )
    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.body == "Saludos cordiales,\nAlice"
    assert signature.languages == ["es", "pt"] and signature.regions == []

    confirm = client.get(reverse("signature_delete", args=[signature.pk]))
    assert confirm.status_code == 200 and "Saludos cordiales" in confirm.content.decode()
    response = client.post(reverse("signature_delete", args=[signature.pk]), follow=True)
    assert not Signature.objects.filter(pk=signature.pk).exists()
    assert [i.signature for i in response.context["items"]] == [english]


def test_an_empty_signature_is_refused_beside_the_field(client_for, people):
    response = client_for(people.alice).post(
        reverse("signature_create"), {"name": "Empty", "body": "   "}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["body"]
    assert not Signature.objects.exists()


def test_another_users_signature_is_not_found(client_for, people):
    bobs = signature_create(actor=people.bob, data={"name": "Bob", "body": "Bob"})
    client = client_for(people.alice)
    assert client.get(reverse("signature_edit", args=[bobs.pk])).status_code == 404
    assert client.post(reverse("signature_delete", args=[bobs.pk])).status_code == 404
    assert Signature.objects.filter(pk=bobs.pk).exists()
    assert client.get(reverse("settings")).context["items"] == []
