"""Normal forms for values people type in many ways: countries, phone numbers, currencies,
e-mail addresses and company domains. Each function returns the normal form or raises ValueError
with a message fit to show the user."""

from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

# Names in Chinese that export teams commonly type; pycountry knows English names and codes only.
_COUNTRY_ALIASES = {
    "中国": "CN",
    "美国": "US",
    "英国": "GB",
    "德国": "DE",
    "法国": "FR",
    "日本": "JP",
    "韩国": "KR",
    "印度": "IN",
    "巴西": "BR",
    "墨西哥": "MX",
    "越南": "VN",
    "泰国": "TH",
    "印度尼西亚": "ID",
    "马来西亚": "MY",
    "俄罗斯": "RU",
    "澳大利亚": "AU",
    "加拿大": "CA",
    "西班牙": "ES",
    "意大利": "IT",
    "阿联酋": "AE",
    "沙特阿拉伯": "SA",
    "土耳其": "TR",
    "uk": "GB",
    "usa": "US",
}


def country_code(value: str) -> str:
    """ISO 3166-1 alpha-2 code for a code (CN, CHN), an English name or a common Chinese name."""
    text = value.strip()
    if not text:
        raise ValueError(_("Enter a country."))
    alias = _COUNTRY_ALIASES.get(text) or _COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        raise ValueError(_("Unknown country: %(value)s.") % {"value": text}) from None
    return str(country.alpha_2)


def currency_code(value: str) -> str:
    text = value.strip().upper()
    if len(text) != 3 or pycountry.currencies.get(alpha_3=text) is None:
        raise ValueError(_("Unknown currency: %(value)s.") % {"value": value})
    return text


def phone_e164(value: str, country: str | None = None) -> str:
    """E.164 form (+8613800138000). A number without +country code is read in `country`."""
    text = value.strip()
    try:
        number = phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException:
        raise ValueError(_("Not a phone number: %(value)s.") % {"value": text}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("Not a valid phone number: %(value)s.") % {"value": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_address(value: str) -> str:
    """The address with its domain lower-cased (the local part is case-sensitive in principle)."""
    text = value.strip()
    try:
        validate_email(text)
    except ValidationError:
        raise ValueError(_("Not an e-mail address: %(value)s.") % {"value": text}) from None
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def web_domain(value: str) -> str:
    """The bare host of a website or e-mail address: 'https://www.Acme.com/x' -> 'acme.com'."""
    text = value.strip().lower()
    if "@" in text and "/" not in text:
        text = text.rpartition("@")[2]
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    host = host.removeprefix("www.")
    if "." not in host or " " in host:
        raise ValueError(_("Not a website: %(value)s.") % {"value": value})
    return host


def decimal_amount(value: object) -> Decimal:
    """A money amount from a decimal string or a number (bool is refused: True is not 1 dollar)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(_("Enter an amount as a number or a decimal string."))
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(_("Not an amount: %(value)s.") % {"value": value}) from None
    if not amount.is_finite():
        raise ValueError(_("Not an amount: %(value)s.") % {"value": value})
    if abs(amount) >= Decimal("1e14"):
        raise ValueError(_("The amount is too large."))
    return amount.quantize(Decimal("0.01"))


def record_id(text: str) -> int | None:
    """A database id typed as text ("42"), or None if it is not one: ASCII digits only
    (`"²".isdigit()` is true, but int() refuses it) and within a 64-bit key."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number < 2**63 else None
