"""A notification links to its record's web page; the crm layer writes the paths out itself
(it may not import the web URLconf), so they must stay equal to the web's."""

import pytest
from django.urls import reverse

from sopcrm.core.models import RecordType
from sopcrm.crm.notifications.links import INBOX_PATH, SETTINGS_PATH, absolute_url, record_path


@pytest.mark.parametrize("record_type", RecordType.values)
def test_record_paths_are_the_web_record_pages(record_type):
    assert record_path(record_type, 7) == reverse(f"{record_type}_detail", args=[7])


def test_inbox_and_settings_paths_are_the_web_pages():
    assert (reverse("notifications"), reverse("settings")) == (INBOX_PATH, SETTINGS_PATH)


def test_no_record_means_no_link():
    assert record_path("", None) == ""


def test_absolute_urls_start_with_the_configured_base_url(settings):
    settings.SOPCRM_BASE_URL = "https://crm.example.com/"
    assert absolute_url("/deals/3/") == "https://crm.example.com/deals/3/"
