"""Finding the lead an inquiry duplicates (S-25).

An inquiry matches an existing lead on any of, strongest first:
- the e-mail address (case-insensitive, in its normal form);
- the phone number in E.164 (read in the inquiry's country, as the cleaners store it);
- the company's e-mail domain, unless it is a free-mail domain (gmail.com, qq.com, ...), which
  says nothing about the company;
- a similar company name: rapidfuzz's `token_sort_ratio` of the names without their legal form
  ("Acme Trading Co., Ltd." and "ACME Trading Company Limited" are both "acme trading") at or
  above the playbook's `duplicates.company_similarity`. Only a bounded set of candidates is
  scored, found by an index on what each lead stores of its name (`company_index`): the most
  recent leads with the same numbers in the name, or, for a name without numbers, sharing its
  first word or its last word. So the check stays fast however many leads there are.

A matched lead that is closed and points to another one (merged away by `lead_merge`, or
disqualified as a duplicate) stands for that other lead. See docs/intake.md.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
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


def _similar(key: str, other: str, threshold: int) -> bool:
    # Numbers tell companies apart that the ratio finds close: "Factory 1" is not "Factory 10".
    if sorted(_NUMBER.findall(key)) != sorted(_NUMBER.findall(other)):
        return False
    return bool(fuzz.token_sort_ratio(key, other, score_cutoff=threshold))


@dataclass(frozen=True)
class CompanyIndex:
    """What a lead stores of its company name for the duplicate check (Lead.company_key,
    company_head, company_tail)."""

    key: str
    head: str  # the numbers in the name when it has any, else its first word
    tail: str  # its last word


def company_index(name: str) -> CompanyIndex:
    """The stored form of a company name. Two names the check finds similar share their head
    or their tail: a match has the same numbers (`_similar`), so a name with numbers is found
    among those with the same numbers; one without, among those sharing its first or its last
    word (one of them may be misspelt, not both)."""
    key = company_key(name) if name else ""
    numbers = sorted(_NUMBER.findall(key))
    if numbers:
        return CompanyIndex(key, "#" + " ".join(numbers), "")
    words = [w for w in key.split() if w not in {"the", "and"} and len(w) >= 2]
    if not words:
        return CompanyIndex(key, "", "")
    first, last = words[0], words[-1]
    if _CJK.match(first):  # written without spaces: the first and last two characters
        return CompanyIndex(key, first[:2], last[-2:] if len(last) > 2 else "")
    return CompanyIndex(key, first, last if len(words) > 1 else "")


def company_index_set(lead: Lead) -> None:
    """Keep the stored form in step with `lead.company` (not saved: the caller saves)."""
    index = company_index(lead.company)
    lead.company_key, lead.company_head, lead.company_tail = index.key, index.head, index.tail


def _company_matches(
    leads: QuerySet[Lead], company: str, threshold: int | None = None
) -> list[Lead]:
    index = company_index(company)
    if not index.key:
        return []
    if threshold is None:
        threshold = _similarity_threshold()
    pools: list[QuerySet[Lead]] = []
    if index.head:
        pools.append(leads.filter(company_head=index.head))
    if index.tail:
        pools.append(leads.filter(company_tail=index.tail))
    seen: dict[int, str] = {}
    for pool in pools:
        rows = pool.order_by("-pk").values_list("pk", "company_key")
        for pk, key in rows[:COMPANY_CANDIDATES]:
            seen.setdefault(pk, key or "")  # a head or tail is there: so is the key
    # Rows written in bulk without the stored form (generated data): read their names.
    unkeyed = leads.filter(company_key__isnull=True).exclude(company="").order_by("-pk")
    for pk, name in unkeyed.values_list("pk", "company")[:COMPANY_CANDIDATES]:
        seen.setdefault(pk, company_key(name))
    similar = [pk for pk, key in seen.items() if _similar(index.key, key, threshold)]
    return list(Lead.objects.filter(pk__in=similar)) if similar else []


def duplicate_candidates(
    data: Mapping[str, Any], *, exclude: int | None = None, threshold: int | None = None
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
    domain = email.rpartition("@")[2]
    if domain and is_free_mail(domain):
        domain = ""
    # One query for the three exact keys, each served by its own index (both databases combine
    # them for an OR): Lower(email) = lower(address), not `iexact`, which an index on
    # Lower(email) answers; stored addresses have their domain in lower case
    # (normalise.email_address), kept apart and indexed by the database (Lead.email_domain).
    exact = Q(email_lower=email.lower()) if email else Q()
    if phone:
        exact |= Q(phone=phone)
    if domain:
        exact |= Q(email_domain=domain)
    if exact:
        for lead in leads.alias(email_lower=Lower("email")).filter(exact):
            # The strongest reason it matches (the email when only the database's lower()
            # makes the addresses equal).
            if email and lead.email.lower() == email.lower():
                reason = "email"
            elif phone and lead.phone == phone:
                reason = "phone"
            elif domain and lead.email_domain == domain:
                reason = "domain"
            else:
                reason = "email"
            found[lead.pk] = (lead, reason)
    company = _text(data, "company")
    if company:
        add(_company_matches(leads, company, threshold), "company")
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


def duplicate_find(
    data: Mapping[str, Any], *, exclude: int | None = None, threshold: int | None = None
) -> Lead | None:
    """The earliest lead the inquiry duplicates, or None. `threshold`: the playbook's company
    similarity, when the caller has read it already."""
    candidates = duplicate_candidates(data, exclude=exclude, threshold=threshold)
    if not candidates:
        return None
    earliest = candidates[0][0]
    found = _standing_for(earliest)
    return earliest if exclude is not None and found.pk == exclude else found
