"""The web UI's own small writes (everything about records is in crm/records/services)."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import User


def language_is_supported(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


@transaction.atomic
def user_set_language(user: User, language: str) -> User:
    """Remember the interface language of a signed-in user (UserLanguageMiddleware applies it)."""
    if not language_is_supported(language):
        raise InvalidInput.single("language", "choice", _("Unknown language."))
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
