"""Countries, phone numbers, e-mail addresses and domains are stored in one normal form."""

import pytest

from sopcrm.core import normalise


@pytest.mark.parametrize("typed", ["CN", "CHN", "China", "中国", "cn"])
def test_country_spellings_become_iso_code(typed):
    assert normalise.country_code(typed) == "CN"


def test_unknown_country_is_refused():
    with pytest.raises(ValueError, match="Unknown country"):
        normalise.country_code("Atlantis")


def test_national_phone_is_read_in_the_given_country():
    assert normalise.phone_e164("138 0013 8000", "CN") == "+8613800138000"


def test_invalid_phone_is_refused():
    with pytest.raises(ValueError):
        normalise.phone_e164("12345", "CN")


def test_email_domain_is_lower_cased():
    assert normalise.email_address(" Bob@Example.COM ") == "Bob@example.com"


def test_web_domain_drops_scheme_www_and_path():
    assert normalise.web_domain("https://www.Acme.com/about") == "acme.com"
