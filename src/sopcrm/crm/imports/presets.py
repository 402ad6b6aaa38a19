"""Column mappings: the lead fields a column can go to, the built-in presets for the lead
exports of Zoho CRM, Salesforce and HubSpot, the column names recognised without a preset, and
the lead sources of those systems translated to ours.

A mapping is {column name: target}. A target is a lead field (`name`, `email`, ...), `first_name`
or `last_name` (joined into the name), or `custom.<key>` for a custom field of the playbook.
Columns matched case-insensitively; a column not in the mapping is ignored.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sopcrm.crm.records.models import LeadSource

# The lead fields an import can fill, in the order the mapping select lists them.
CORE_TARGETS: dict[str, Promise] = {
    "name": _("Contact name"),
    "first_name": _("First name (joined into the name)"),
    "last_name": _("Last name (joined into the name)"),
    "company": _("Company"),
    "email": _("Email"),
    "phone": _("Phone"),
    "country": _("Country"),
    "source": _("Source"),
    "message": _("Inquiry"),
    "received_at": _("Received at"),
    "owner": _("Owner (username or email)"),
    "pipeline": _("Pipeline (key)"),
}
CUSTOM_PREFIX = "custom."


@dataclass(frozen=True)
class BuiltinPreset:
    key: str
    label: str
    mapping: Mapping[str, str]


# The column names of each system's standard lead export (field labels, which the exports use as
# headers). Phone then Mobile: the first non-empty one is kept. Several columns for the inquiry
# are joined. Industry goes to the playbook's custom field when it has one.
ZOHO = BuiltinPreset(
    "zoho",
    "Zoho CRM",
    {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Company": "company",
        "Email": "email",
        "Phone": "phone",
        "Mobile": "phone",
        "Country": "country",
        "Lead Source": "source",
        "Description": "message",
        "Created Time": "received_at",
        "Industry": "custom.industry",
    },
)
SALESFORCE = BuiltinPreset(
    "salesforce",
    "Salesforce",
    {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Company": "company",
        "Email": "email",
        "Phone": "phone",
        "Mobile Phone": "phone",
        "Country": "country",
        "Lead Source": "source",
        "Description": "message",
        "Created Date": "received_at",
        "Industry": "custom.industry",
        # Data Loader and the API export the field names instead of the labels.
        "FirstName": "first_name",
        "LastName": "last_name",
        "MobilePhone": "phone",
        "LeadSource": "source",
        "CreatedDate": "received_at",
    },
)
HUBSPOT = BuiltinPreset(
    "hubspot",
    "HubSpot",
    {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Company Name": "company",
        "Email": "email",
        "Phone Number": "phone",
        "Mobile Phone Number": "phone",
        "Country/Region": "country",
        "Original Source": "source",
        "Message": "message",
        "Notes": "message",
        "Create Date": "received_at",
        "Industry": "custom.industry",
    },
)
BUILTIN_PRESETS: dict[str, BuiltinPreset] = {p.key: p for p in (ZOHO, SALESFORCE, HUBSPOT)}

# Column names recognised without a preset: ours, common English ones and those Chinese teams
# use in their own spreadsheets.
_COMMON_COLUMNS: dict[str, str] = {
    "name": "name",
    "full name": "name",
    "contact name": "name",
    "contact": "name",
    "company": "company",
    "company name": "company",
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "phone": "phone",
    "phone number": "phone",
    "mobile": "phone",
    "tel": "phone",
    "telephone": "phone",
    "whatsapp": "phone",
    "country": "country",
    "country/region": "country",
    "source": "source",
    "lead source": "source",
    "message": "message",
    "inquiry": "message",
    "enquiry": "message",
    "description": "message",
    "notes": "message",
    "received at": "received_at",
    "received": "received_at",
    "date": "received_at",
    "created": "received_at",
    "created time": "received_at",
    "created date": "received_at",
    "create date": "received_at",
    "owner": "owner",
    "lead owner": "owner",
    "first name": "first_name",
    "last name": "last_name",
    "姓名": "name",
    "联系人": "name",
    "客户名称": "name",
    "公司": "company",
    "公司名称": "company",
    "邮箱": "email",
    "电子邮件": "email",
    "邮件": "email",
    "电话": "phone",
    "手机": "phone",
    "联系电话": "phone",
    "国家": "country",
    "国家/地区": "country",
    "来源": "source",
    "线索来源": "source",
    "询盘来源": "source",
    "留言": "message",
    "询盘内容": "message",
    "询盘": "message",
    "备注": "message",
    "询盘时间": "received_at",
    "日期": "received_at",
    "创建时间": "received_at",
    "负责人": "owner",
    "业务员": "owner",
}

# Lead sources of other systems (Zoho's and Salesforce's picklists, HubSpot's original source)
# and common spellings, to ours. A value not here and not one of ours is "other"; an empty one is
# "import".
SOURCE_ALIASES: dict[str, str] = {
    "trade show": "trade_show",
    "tradeshow": "trade_show",
    "exhibition": "trade_show",
    "fair": "trade_show",
    "seminar partner": "trade_show",
    "internal seminar": "trade_show",
    "展会": "trade_show",
    "web": "website_form",
    "website": "website_form",
    "web form": "website_form",
    "web site": "website_form",
    "web download": "website_form",
    "web research": "website_form",
    "online store": "website_form",
    "chat": "website_form",
    "organic search": "website_form",
    "paid search": "website_form",
    "direct traffic": "website_form",
    "ai referrals": "website_form",
    "官网": "website_form",
    "网站": "website_form",
    "独立站": "website_form",
    "whatsapp": "whatsapp",
    "b2b": "b2b_platform",
    "b2b platform": "b2b_platform",
    "alibaba": "b2b_platform",
    "alibaba.com": "b2b_platform",
    "made-in-china": "b2b_platform",
    "made-in-china.com": "b2b_platform",
    "global sources": "b2b_platform",
    "阿里巴巴": "b2b_platform",
    "中国制造网": "b2b_platform",
    "环球资源": "b2b_platform",
    "email": "email",
    "e-mail": "email",
    "email marketing": "email",
    "sales email alias": "email",
    "邮件": "email",
    "social": "social",
    "social media": "social",
    "organic social": "social",
    "paid social": "social",
    "facebook": "social",
    "linkedin": "social",
    "twitter": "social",
    "x (twitter)": "social",
    "instagram": "social",
    "社交媒体": "social",
    "referral": "referral",
    "referrals": "referral",
    "employee referral": "referral",
    "external referral": "referral",
    "partner referral": "referral",
    "partner": "referral",
    "推荐": "referral",
    "转介绍": "referral",
    "offline sources": "import",
    "import": "import",
    "purchased list": "import",
}


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def source_key(value: str) -> str:
    """Our lead source for a source as another system writes it."""
    text = _folded(value)
    if not text:
        return LeadSource.IMPORT
    if text in LeadSource.values:
        return text
    by_label = {_folded(str(label)): key for key, label in LeadSource.choices}
    return SOURCE_ALIASES.get(text) or by_label.get(text) or LeadSource.OTHER


def apply_preset(
    headers: Iterable[str], preset: Mapping[str, str], targets: Iterable[str]
) -> dict[str, str]:
    """The mapping for these columns from a preset (names matched case-insensitively), leaving
    out targets this playbook lacks (a custom field another playbook has)."""
    known = set(targets)
    by_name = {_folded(column): target for column, target in preset.items()}
    mapping: dict[str, str] = {}
    for header in headers:
        target = by_name.get(_folded(header))
        if target and target in known:
            mapping[header] = target
    return mapping


def suggest_mapping(
    headers: Iterable[str],
    targets: Iterable[str],
    custom_labels: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, str]:
    """A first guess: the built-in presets' and common column names, a target's own name, and
    the labels of the playbook's custom fields (`custom_labels`: target -> its labels)."""
    known = set(targets)
    guesses: dict[str, str] = {}
    for preset in BUILTIN_PRESETS.values():
        for column, target in preset.mapping.items():
            guesses.setdefault(_folded(column), target)
    for column, target in _COMMON_COLUMNS.items():
        guesses.setdefault(_folded(column), target)
    for target, labels in (custom_labels or {}).items():
        guesses.setdefault(_folded(target.removeprefix(CUSTOM_PREFIX)), target)
        for label in labels:
            guesses.setdefault(_folded(label), target)
    for target in known:
        guesses.setdefault(_folded(target), target)
    mapping: dict[str, str] = {}
    for header in headers:
        guess = guesses.get(_folded(header)) or guesses.get(_folded(header.replace("_", " ")))
        if guess and guess in known:
            mapping[header] = guess
    return mapping
