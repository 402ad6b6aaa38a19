"""Signatures (S-39): each user keeps their own; the email takes the one for its language, else
the default."""

import pytest

from sopcrm.core.errors import InvalidInput, NotFound
from sopcrm.crm.messaging.selectors import signature_for
from sopcrm.crm.messaging.services.compose import email_preview
from sopcrm.crm.messaging.services.signatures import (
    signature_create,
    signature_delete,
    signature_update,
)
from sopcrm.crm.messaging.services.templates import template_variant_create

from .conftest import FREE


def test_first_signature_is_the_default_and_only_one_stays_default(people):
    first = signature_create(actor=people.alice, data={"name": "EN", "body": "Alice"})
    second = signature_create(
        actor=people.alice, data={"name": "ES", "body": "Saludos, Alice", "is_default": True}
    )
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    signature_update(first, actor=people.alice, data={"is_default": True})
    second.refresh_from_db()
    assert second.is_default is False


def test_signature_fields_are_checked(people):
    with pytest.raises(InvalidInput) as error:
        signature_create(
            actor=people.alice,
            data={"name": "", "regions": ["mars"], "languages": ["English"], "colour": "red"},
        )
    assert {p.field for p in error.value.problems} == {
        "name",
        "body",
        "regions",
        "languages",
        "colour",
    }


def test_only_the_owner_changes_a_signature(people):
    mine = signature_create(actor=people.alice, data={"name": "EN", "body": "Alice"})
    with pytest.raises(NotFound):
        signature_update(mine, actor=people.bob, data={"body": "Bob"})
    with pytest.raises(NotFound):
        signature_delete(mine, actor=people.east_manager)
    signature_delete(mine, actor=people.alice)


def test_the_signature_for_the_templates_language_wins(people):
    default = signature_create(
        actor=people.alice, data={"name": "EN", "body": "Best regards, Alice"}
    )
    spanish = signature_create(
        actor=people.alice,
        data={
            "name": "ES",
            "body": "Saludos, Alicia",
            "languages": ["es"],
            "regions": ["latam"],
            "product_lines": ["custom"],
        },
    )
    assert signature_for(people.alice, language="es") == spanish
    assert signature_for(people.alice, language="en") == default
    assert signature_for(people.alice, language="fr") == default
    assert signature_for(people.bob, language="en") is None


def test_email_in_spanish_is_signed_in_spanish(people, library, deal):
    signature_create(actor=people.alice, data={"name": "EN", "body": "Best regards, Alice"})
    signature_create(
        actor=people.alice, data={"name": "ES", "body": "Saludos, Alicia", "languages": ["es"]}
    )
    spanish = template_variant_create(
        library["chase_1"], actor=people.alice, data={"key": "chase_1_es", "language": "es"}
    )
    draft = email_preview(deal, template=spanish, free_sections=FREE, actor=people.alice)
    assert draft.text.endswith("Saludos, Alicia")
    # Dates in a language other than English are written the ISO way.
    assert "On 2026-03-02 I sent you" in draft.text
