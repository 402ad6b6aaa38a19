"""The new text of a reply: quoted history and sign-offs taken off, in English and Chinese, as
Outlook, Gmail, Apple Mail, QQ Mail and Foxmail write them."""

import pytest

from sopcrm.crm.mail.parsing import html_to_text, parse_email
from sopcrm.crm.mail.quoting import reply_text, summary_of

from .conftest import mime

NEW = "The price works for us.\nPlease send the PI."
NEW_ZH = "价格可以接受，请发形式发票。"


@pytest.mark.parametrize(
    "history",
    [
        "On Mon, 3 Nov 2025 at 10:00, Alice <alice@example.com> wrote:\n> Dear John,\n> our quote.",
        "-----Original Message-----\nFrom: Alice <alice@example.com>\nSent: Monday, November 3, "
        "2025 10:00 AM\nTo: John\nSubject: Quote\n\nDear John, our quote.",
        "From: Alice <alice@example.com>\nSent: Monday, November 3, 2025 10:00 AM\nTo: John\n"
        "Subject: Quote\n\nDear John, our quote.",
    ],
    ids=["gmail", "outlook-original-message", "outlook-header-block"],
)
def test_english_quoted_history_is_stripped(history):
    assert reply_text(f"{NEW}\n\n{history}\n") == NEW


@pytest.mark.parametrize(
    "history",
    [
        "发件人: Alice <alice@example.com>\n发送时间: 2025年11月3日 10:00\n"
        "收件人: John\n主题: 报价\n\n您好，这是我们的报价。",
        "发件人：Alice <alice@example.com>\n发送时间：2025年11月3日 10:00\n"
        "收件人：John\n主题：报价\n\n您好，这是我们的报价。",
        "-----原始邮件-----\n发件人：Alice <alice@example.com>\n发送时间：2025年11月3日\n\n您好。",
        '------------------ 原始邮件 ------------------\n发件人: "Alice"<alice@example.com>;\n'
        "发送时间: 2025年11月3日(星期一) 上午10:00\n主题: 报价",
        "在 2025年11月3日 10:00，Alice <alice@example.com> 写道：\n> 您好，这是我们的报价。",
        "Alice <alice@example.com> 于2025年11月3日周一 10:00写道：\n> 您好，这是我们的报价。",
    ],
    ids=[
        "outlook-ascii-colon",
        "outlook-full-width-colon",
        "outlook-zh-original",
        "qq-mail",
        "apple-mail-zh",
        "gmail-zh",
    ],
)
def test_chinese_quoted_history_is_stripped(history):
    assert reply_text(f"{NEW_ZH}\n\n{history}\n") == NEW_ZH


def test_sign_off_and_phone_footer_are_stripped():
    text = f"{NEW}\n\nBest regards,\nJohn Smith\nAcme Inc.\n\nSent from my iPhone\n"
    assert reply_text(text) == NEW


def test_chinese_sign_off_is_stripped():
    assert reply_text(f"{NEW_ZH}\n祝好，\n王先生\n") == NEW_ZH


def test_sentence_starting_with_thanks_is_kept():
    text = "Hi Alice,\nThanks, the price works for us. Please send the PI.\n"
    assert reply_text(text) == text.strip()


def test_hyphen_list_is_not_taken_for_a_signature():
    text = "Please quote:\n- 500 pcs DN50\n- 200 pcs DN80"
    assert reply_text(text) == text


def test_bottom_quote_without_header_is_dropped():
    assert reply_text("OK for us.\n> your quote\n> of Monday\n") == "OK for us."


def test_summary_is_the_first_lines_on_one_line_cut_at_the_limit():
    assert summary_of("First line.\n\nSecond line.\n") == "First line. Second line."
    assert summary_of("x" * 400, limit=10) == "x" * 9 + "…"


def test_html_only_mail_is_read_as_text_without_the_blockquote():
    html = (
        "<html><head><style>p{}</style></head><body><p>We accept &amp; will order.</p>"
        "<blockquote>Dear John, our quote</blockquote></body></html>"
    )
    assert html_to_text(html) == "We accept & will order."


def test_gb2312_mail_is_decoded():
    raw = mime(text="好的，我们下单。䶮", charset="gb18030").replace(b"gb18030", b"gb2312")
    assert parse_email(raw).text.strip() == "好的，我们下单。䶮"


def test_message_without_message_id_gets_one_from_its_bytes():
    raw = mime().replace(b"Message-ID:", b"X-Old-ID:")
    first, second = parse_email(raw), parse_email(raw)
    assert first.message_id == second.message_id
    assert first.message_id.endswith("@sopcrm.invalid>")


def test_auto_reply_is_recognised():
    assert parse_email(mime(headers={"Auto-Submitted": "auto-replied"})).automatic
    assert not parse_email(mime(headers={"Auto-Submitted": "no"})).automatic
    assert parse_email(mime(sender="MAILER-DAEMON@mx.example.com")).automatic


def test_addresses_are_lower_cased_and_nul_dropped():
    parsed = parse_email(mime(sender="Buyer <Buyer@Example.COM>", text="a\x00b"))
    assert parsed.from_email == "buyer@example.com"
    assert "\x00" not in parsed.text
