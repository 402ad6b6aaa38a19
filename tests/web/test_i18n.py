"""The interface speaks the reader's language: Chinese pages, Chinese API errors, and catalogues in
which every string is translated (so a new string that nobody translated fails here)."""

import ast
import gettext
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from sopcrm.core.tokens import token_create
from sopcrm.crm.records.services.deals import deal_create

LOCALE = Path(__file__).resolve().parents[2] / "src" / "sopcrm" / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"

NAV_ZH = [
    "我的一天",
    "线索",
    "商机",
    "看板",
    "客户",
    "联系人",
    "活动",
    "审批",
    "邮件模板",
    "报表",
    "流程手册",
]
NAV_EN = [
    "My day",
    "Leads",
    "Deals",
    "Board",
    "Accounts",
    "Contacts",
    "Activities",
    "Approvals",
    "Templates",
    "Reports",
    "Playbook",
]


def _nav_labels(html: str) -> list[str]:
    """The texts of the top bar's links, in order (a badge's count left out)."""
    block = re.search(r'<ul class="nav-links">(.*?)</ul>', html, re.S)
    assert block, "no navigation bar on the page"
    links = re.findall(r"<a [^>]*>(.*?)</a>", block.group(1), re.S)
    return [re.sub(r"<span.*", "", link, flags=re.S).strip() for link in links]


def _page(client_for, user, language: str, url_name: str, *args) -> str:
    user.language = language
    user.save()
    response = client_for(user).get(reverse(url_name, args=args))
    assert response.status_code == 200
    return response.content.decode()


# -- pages ---------------------------------------------------------------------------------------


def test_deal_list_in_chinese(client_for, people):
    deal_create(actor=people.alice, data={"title": "Valves"})
    html = _page(client_for, people.alice, "zh-hans", "deal_list")
    assert '<html lang="zh-hans">' in html
    assert _nav_labels(html) == NAV_ZH
    assert "<h1>商机</h1>" in html
    assert "新建商机" in html
    assert ">搜索</label>" in html
    assert "共 1 条记录" in html
    assert "退出登录" in html
    for english in [*NAV_EN, "Log out", "New deal", "Search", "1 record"]:
        assert f">{english}<" not in html, english


def test_deal_list_in_english(client_for, people):
    deal_create(actor=people.alice, data={"title": "Valves"})
    html = _page(client_for, people.alice, "en", "deal_list")
    assert '<html lang="en">' in html
    assert _nav_labels(html) == NAV_EN
    assert "<h1>Deals</h1>" in html
    assert "1 record" in html
    assert "Log out" in html
    assert "商机" not in html


def test_deal_page_in_chinese(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    html = _page(client_for, people.alice, "zh-hans", "deal_detail", deal.pk)
    assert _nav_labels(html) == NAV_ZH
    for heading in ["详情", "活动", "未完成任务", "时间线", "下一步"]:
        assert f">{heading}</h" in html, heading
    assert "负责人" in html
    assert "记录活动" in html
    assert "添加任务" in html
    for english in ["Details", "Timeline", "Next steps", "Log activity", "Add task", "Owner"]:
        assert english not in html, english


def test_deal_page_in_english(client_for, people):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    html = _page(client_for, people.alice, "en", "deal_detail", deal.pk)
    assert _nav_labels(html) == NAV_EN
    for heading in ["Details", "Activities", "Open tasks", "Timeline", "Next steps"]:
        assert f">{heading}</h" in html, heading
    assert "时间线" not in html


# -- API -----------------------------------------------------------------------------------------


def _create_lead_without_a_name(client: Client, language: str) -> dict:
    response = client.post(
        "/api/leads",
        json.dumps({"company": "Acme"}),
        content_type="application/json",
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    return response.json()["error"]


@pytest.mark.parametrize("auth", ["session", "token"])
def test_api_error_in_chinese(people, auth):
    if auth == "session":
        client = Client()
        client.force_login(people.alice)
    else:
        secret = token_create(user=people.alice, name="script").secret
        client = Client(headers={"Authorization": f"Bearer {secret}"})
    error = _create_lead_without_a_name(client, "zh-hans")
    assert error["message"] == "部分内容无效，请查看各字段的提示。"
    assert error["fields"] == [{"field": "name", "code": "required", "message": "此字段为必填项。"}]


def test_api_error_in_english(people):
    client = Client()
    client.force_login(people.alice)
    error = _create_lead_without_a_name(client, "en")
    assert error["message"] == "Some values are not valid; see the fields."
    assert error["fields"][0]["message"] == "This field is required."


# -- the catalogues ------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (header included, obsolete `#~` entries left out)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] = ("", 0)
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry = None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = "", line
        text = ast.literal_eval(rest)
        if keyword:
            index = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            target = ("msgstr", int(index.group(1))) if index else (keyword, 0)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] = ""
        name, index_ = target
        if name == "msgid":
            entry.msgid += text
        elif name == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + text
        elif name == "msgstr":
            entry.msgstr[index_] += text
    return entries


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|%%|\{\w*\}")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _messages(path: Path) -> list[Entry]:
    return [e for e in parse_po(path) if e.msgid]


def test_every_chinese_string_is_translated():
    entries = parse_po(ZH_PO)
    header = entries[0]
    assert header.msgid == "" and "fuzzy" not in header.flags
    assert "Language: zh_Hans" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]
    messages = entries[1:]
    assert len(messages) > 400  # the catalogue is the whole interface, not a stub
    untranslated = [e.msgid for e in messages if not all(e.msgstr.values())]
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated in {ZH_PO.name}: {untranslated}"
    assert not fuzzy, f"fuzzy in {ZH_PO.name}: {fuzzy}"


def test_chinese_translations_keep_the_placeholders():
    wrong = [
        e.msgid
        for e in _messages(ZH_PO)
        if any(_placeholders(s) != _placeholders(e.msgid) for s in e.msgstr.values())
    ]
    assert not wrong


def test_compiled_chinese_catalogue_matches_the_po_file():
    with (ZH_PO.with_suffix(".mo")).open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for e in _messages(ZH_PO):
        if e.msgid_plural is None:
            shown = compiled.gettext(e.msgid)
        else:
            shown = compiled.ngettext(e.msgid, e.msgid_plural, 1)
        if shown != e.msgstr[0]:
            stale.append(e.msgid)
    assert not stale, "run `manage.py compilemessages`: the .mo file is out of date"


def test_english_catalogue_exists_and_covers_the_same_strings():
    en_po = LOCALE / "en" / "LC_MESSAGES" / "django.po"
    assert en_po.with_suffix(".mo").is_file()
    en = {(e.msgid, e.msgid_plural) for e in _messages(en_po)}
    zh = {(e.msgid, e.msgid_plural) for e in _messages(ZH_PO)}
    assert en == zh
