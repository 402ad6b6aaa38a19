"""Finding the lead an inquiry duplicates (S-25).

An inquiry matches an existing lead on any of, strongest first:
- the e-mail address (case-insensitive, in its normal form);
- the phone number in E.164 (read in the inquiry's country, as the cleaners store it);
- the company's e-mail domain, unless it is a free-mail domain (gmail.com, qq.com, ...), which
  says nothing about the company;
- a similar company name: rapidfuzz's `token_sort_ratio` of the names without their legal form
  ("Acme Trading Co., Ltd." and "ACME Trading Company Limited" are both "acme trading") at or
  above the playbook's `duplicates.company_similarity`. Only a bounded set of candidates is
  scored (the most recent leads sharing the name's first word, and those of the same country),
  so the check stays fast however many leads there are.

A matched lead that is closed and points to another one (merged away by `lead_merge`, or
disqualified as a duplicate) stands for that other lead. See docs/intake.md.
"""

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet
from rapidfuzz import fuzz

from sopcrm.core import normalise
from sopcrm.playbook.schema import DuplicatesDef, ObjectType, StageKind
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..models import Lead

# How many recent leads each candidate query of the company-name match scores at most.
COMPANY_CANDIDATES = 2_000

# Addresses anyone can get: a shared domain here says nothing about the company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "zoho.com",
        "mail.com",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "web.de",
        "t-online.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "rambler.ru",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "aliyun.com",
        "139.com",
        "189.cn",
        "naver.com",
        "hanmail.net",
        "daum.net",
        "rediffmail.com",
        "uol.com.br",
        "bol.com.br",
    }
)
# Providers with a domain per country (yahoo.co.uk, hotmail.fr, outlook.com.br, ...).
FREE_MAIL_NAMES = frozenset({"yahoo", "hotmail", "outlook", "live", "gmx", "yandex"})

# Legal forms dropped from the end of a company name (after punctuation is removed).
_LEGAL_WORDS = frozenset(
    {
        "ltd",
        "limited",
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "plc",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "sl",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "aps",
        "pty",
        "pte",
        "sdn",
        "bhd",
        "ltda",
        "limitada",
        "cv",
        "kk",
        "jsc",
        "ооо",
    }
)
_JOINING_WORDS = frozenset({"and", "de", "und", "y", "e"})
# ... and from its start.
_LEADING_WORDS = frozenset({"the", "pt", "ооо"})
# Chinese legal forms, longest first (they are written without spaces).
_CJK_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团公司",
    "集团",
    "公司",
)
_PUNCTUATION = re.compile(r"[^\w\s]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_NUMBER = re.compile(r"\d+")


@lru_cache(maxsize=65_536)  # the candidates of one inquiry are mostly those of the last
def company_key(name: str) -> str:
    """A company name without case, punctuation or legal form: what two spellings share."""
    text = unicodedata.normalize("NFKC", name).casefold().strip().replace("&", " and ")
    text = text.replace(".", "").replace("'", "").replace("’", "")
    for suffix in _CJK_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    words = _PUNCTUATION.sub(" ", text).replace("_", " ").split()
    dropped = False
    # "GmbH & Co. KG", "S.A. de C.V.": a joining word between two legal forms goes with them.
    while len(words) > 1 and (
        words[-1] in _LEGAL_WORDS or (dropped and words[-1] in _JOINING_WORDS)
    ):
        words.pop()
        dropped = True
    while len(words) > 1 and words[0] in _LEADING_WORDS:
        words.pop(0)
    return " ".join(words)


def is_free_mail(domain: str) -> bool:
    domain = domain.lower()
    return domain in FREE_MAIL_DOMAINS or domain.split(".", 1)[0] in FREE_MAIL_NAMES


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _email(data: Mapping[str, Any]) -> str:
    raw = _text(data, "email")
    if not raw:
        return ""
    try:
        return normalise.email_address(raw)
    except ValueError:
        return ""


def _country(data: Mapping[str, Any]) -> str:
    raw = _text(data, "country")
    if not raw:
        return ""
    try:
        return normalise.country_code(raw)
    except ValueError:
        return ""


def _phone(data: Mapping[str, Any], country: str) -> str:
    raw = _text(data, "phone")
    if not raw:
        return ""
    try:
        return normalise.phone_e164(raw, country or None)
    except ValueError:
        return ""


def _similarity_threshold() -> int:
    definition = playbook_for_version(active_version().pk).object(ObjectType.LEAD).duplicates
    return (definition or DuplicatesDef()).company_similarity


def _first_word(key: str) -> str:
    """The word that picks the company candidates: the first that says something; for a
    Chinese name (no spaces) its first two characters, usually the city."""
    for word in key.split():
        if word in {"the", "and"} or len(word) < 2:
            continue
        return word[:2] if _CJK.match(word) else word
    return ""


def _similar(key: str, other: str, threshold: int) -> bool:
    # Numbers tell companies apart that the ratio finds close: "Factory 1" is not "Factory 10".
    if sorted(_NUMBER.findall(key)) != sorted(_NUMBER.findall(other)):
        return False
    return bool(fuzz.token_sort_ratio(key, other, score_cutoff=threshold))


def _company_matches(leads: QuerySet[Lead], company: str, country: str) -> list[Lead]:
    key = company_key(company)
    if not key:
        return []
    threshold = _similarity_threshold()
    fields = ("pk", "company")
    pools: list[QuerySet[Lead]] = []
    word = _first_word(key)
    if word:
        pools.append(leads.filter(company__icontains=word))
    if country:
        pools.append(leads.filter(country=country))
    seen: dict[int, str] = {}
    for pool in pools:
        rows = pool.exclude(company="").order_by("-pk").values_list(*fields)
        for pk, name in rows[:COMPANY_CANDIDATES]:
            seen.setdefault(pk, name)
    similar = [pk for pk, name in seen.items() if _similar(key, company_key(name), threshold)]
    return list(Lead.objects.filter(pk__in=similar)) if similar else []


def duplicate_candidates(
    data: Mapping[str, Any], *, exclude: int | None = None
) -> list[tuple[Lead, str]]:
    """Every lead the inquiry matches, earliest first, each with the strongest reason it
    matches: "email", "phone", "domain" or "company"."""
    leads = Lead.objects.all()
    if exclude is not None:
        leads = leads.exclude(pk=exclude)
    found: dict[int, tuple[Lead, str]] = {}

    def add(matches: Any, reason: str) -> None:
        for lead in matches:
            found.setdefault(lead.pk, (lead, reason))

    email = _email(data)
    country = _country(data)
    phone = _phone(data, country)
    if email:
        add(leads.filter(email__iexact=email), "email")
    if phone:
        add(leads.filter(phone=phone), "phone")
    domain = email.rpartition("@")[2]
    if domain and not is_free_mail(domain):
        # Stored addresses have their domain in lower case (normalise.email_address).
        add(leads.filter(email__endswith=f"@{domain}"), "domain")
    company = _text(data, "company")
    if company:
        add(_company_matches(leads, company, country), "company")
    return sorted(found.values(), key=lambda pair: pair[0].pk)


def _closed_stages(lead: Lead) -> set[str]:
    playbook = playbook_for_version(lead.playbook_version_id)
    return {
        stage.key
        for pipeline in playbook.object(ObjectType.LEAD).pipelines
        for stage in pipeline.stages
        if stage.kind != StageKind.OPEN
    }


def _standing_for(lead: Lead) -> Lead:
    """The lead a closed duplicate points to (a lead merged away lives on in the one it was
    merged into), following the links to the end."""
    seen = {lead.pk}
    while lead.duplicate_of_id is not None and lead.stage in _closed_stages(lead):
        target = Lead.objects.filter(pk=lead.duplicate_of_id).first()
        if target is None or target.pk in seen:
            break
        seen.add(target.pk)
        lead = target
    return lead


def duplicate_find(data: Mapping[str, Any], *, exclude: int | None = None) -> Lead | None:
    """The earliest lead the inquiry duplicates, or None."""
    candidates = duplicate_candidates(data, exclude=exclude)
    if not candidates:
        return None
    earliest = candidates[0][0]
    found = _standing_for(earliest)
    return earliest if exclude is not None and found.pk == exclude else found
