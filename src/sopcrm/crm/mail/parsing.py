"""Reading a received message: addresses, thread headers, date and its text.

Mail arrives in every shape (Outlook, Foxmail, QQ Mail, Gmail, phones), often in GB2312/GBK, and
sometimes broken. Parsing never raises on a bad header: what cannot be read is left empty, and
the raw message is kept anyway (see InboundEmail.raw).
"""

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

_MESSAGE_ID = re.compile(r"<[^<>\s\x00]+>")
_MAX_ID = 255
# GB2312 and GBK mail often holds characters only GB18030 (their superset) decodes.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "Resent-To")
_AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster")


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    from_email: str
    from_name: str
    subject: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    # Every address the message was delivered to (To, Cc, Delivered-To, ...): where a reply
    # token (`crm+<token>@...`) is looked for.
    recipients: list[str] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    # An auto-reply, a bounce or bulk mail: kept, but it is no answer from the customer.
    automatic: bool = False


def _header(message: Message, name: str) -> str:
    try:
        values = message.get_all(name) or []
        return " ".join(str(v) for v in values).strip()
    except (ValueError, TypeError, IndexError, LookupError):
        return ""


def _addresses(message: Message, *names: str) -> list[str]:
    values: list[str] = []
    for name in names:
        try:
            values.extend(str(v) for v in message.get_all(name) or [])
        except (ValueError, TypeError, IndexError, LookupError):
            continue
    found: list[str] = []
    for _name, address in getaddresses(values):
        address = _no_nul(address.strip().lower())
        if "@" in address and address not in found:
            found.append(address)
    return found


def message_ids(value: str) -> list[str]:
    """The `<id@host>` tokens of a Message-ID, In-Reply-To or References header, in order."""
    found: list[str] = []
    for token in _MESSAGE_ID.findall(value):
        if token not in found:
            found.append(token)
    return found


def _own_id(message: Message, raw: bytes) -> str:
    ids = message_ids(_header(message, "Message-ID"))
    if ids and len(ids[0]) <= _MAX_ID:
        return ids[0]
    # No usable Message-ID: a digest of the message (or of an overlong id), so that receiving
    # the same bytes twice still records them once.
    basis = ids[0].encode() if ids else raw
    return f"<{hashlib.sha256(basis).hexdigest()}@sopcrm.invalid>"


def _date(message: Message) -> datetime | None:
    value = _header(message, "Date")
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means the zone is unknown: read it as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _is_automatic(message: Message, sender: str) -> bool:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return True
    if _header(message, "Precedence").lower() in {"bulk", "junk", "auto_reply"}:
        return True
    if message.get_content_type() == "multipart/report":  # a delivery status notification
        return True
    return sender.partition("@")[0] in _AUTOMATIC_SENDERS


def part_text(part: Message) -> str:
    """A text part decoded with its charset (leniently: a bad byte becomes U+FFFD)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = _CHARSET_ALIASES.get(charset, charset)
    try:
        text = payload.decode(charset, errors="replace")
    except LookupError:
        text = payload.decode("utf-8", errors="replace")
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return text.replace("\r\n", "\n")


def _body_text(message: Message) -> str:
    body: Message | None = None
    if isinstance(message, EmailMessage):
        try:
            body = message.get_body(preferencelist=("plain", "html"))
        except (KeyError, ValueError, TypeError, IndexError, LookupError):
            body = None
    if body is None and message.get_content_maintype() == "text":
        body = message
    return part_text(body) if body is not None else ""


def _no_nul(value: str) -> str:
    # PostgreSQL stores no NUL in text (SQLite does): drop it so both databases keep the same.
    return value.replace("\x00", "")


def parse_email(raw: bytes) -> ParsedEmail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, sender = parseaddr(_header(message, "From"))
    sender = _no_nul(sender.strip().lower())
    return ParsedEmail(
        message_id=_own_id(message, raw),
        from_email=sender[:254],
        from_name=_no_nul(name.strip())[:200],
        subject=_no_nul(" ".join(_header(message, "Subject").split()))[:500],
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        recipients=_addresses(message, *_RECIPIENT_HEADERS),
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        date=_date(message),
        text=_no_nul(_body_text(message)),
        automatic=_is_automatic(message, sender),
    )


# -- HTML-only mail -------------------------------------------------------------------------------

_BLOCKS = {
    "p", "div", "br", "li", "tr", "table", "ul", "ol", "hr", "section", "article",
    "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
# Quoted history in HTML mail sits in <blockquote> (Gmail, Apple Mail, Thunderbird).
_SKIPPED = {"script", "style", "head", "title", "blockquote"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
