"""The new part of a reply: quoted history and the signature taken off.

`mailparser_reply` knows the headers mail clients put above quoted history in many languages
("On ... wrote:", "-----Original Message-----", "From:/Sent:" blocks, "发件人:/发送时间:"
blocks) and common sign-offs. Three gaps are filled here before it runs: Chinese clients write
the header names with a full-width colon ("发件人："), which its pattern does not take; its
pattern for "...写道：" can never match (its own look-ahead excludes it); and QQ Mail, Foxmail
and NetEase separate the history with "------------------ 原始邮件 ------------------" lines.
"""

import re

from mailparser_reply import EmailMessage

_LANGUAGES = ["zh", "en"]
# Lines that start the quoted history; the text is cut at the first one.
_SEPARATORS = (
    re.compile(
        r"^[ \t>]*-{2,}[ \t]*(?:原始邮件|回复的原邮件|Original(?: Message)?)[ \t]*-{2,}[ \t]*$",
        re.MULTILINE | re.IGNORECASE,
    ),
    re.compile(r"^[ \t>]*\S.{0,200}写道[:：][ \t]*$", re.MULTILINE),
)
_FULL_WIDTH_HEADER = re.compile(
    r"^([ \t>]*[*]*(?:发件人|发送时间|收件人|抄送|主题|日期|时间)[*]*)[ \t]*：", re.MULTILINE
)
# A "signature" whose first line is longer than this is a sentence that happens to start with
# a sign-off word ("Thanks, the price works for us."): keep it.
_MAX_SIGN_OFF = 40


def _cut_at_separator(text: str) -> str:
    cut = len(text)
    for separator in _SEPARATORS:
        found = separator.search(text)
        if found is not None:
            cut = min(cut, found.start())
    return text[:cut]


def _without_trailing_quote(text: str) -> str:
    """Drop a bottom-quoted block ("> ..." lines) that no header introduced."""
    lines = text.rstrip().splitlines()
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(lines)


def reply_text(text: str) -> str:
    """The text the sender wrote in this message; the whole text if nothing is left."""
    normalised = text.replace("\r\n", "\n")
    cut = _FULL_WIDTH_HEADER.sub(r"\1:", _cut_at_separator(normalised))
    message = EmailMessage(text=cut, languages=list(_LANGUAGES), keep_hyphen_lists=True).read()
    reply = message.replies[0] if message.replies else None
    if reply is None:
        return normalised.strip()
    body = reply.body
    if reply.signatures and len(reply.signatures.splitlines()[0]) > _MAX_SIGN_OFF:
        body = reply.full_body
    return _without_trailing_quote(body) or cut.strip() or normalised.strip()


def summary_of(text: str, *, limit: int = 300) -> str:
    """The first lines of a text, as one line of at most `limit` characters."""
    words = " ".join(line.strip() for line in text.splitlines() if line.strip())
    if len(words) <= limit:
        return words
    return words[: limit - 1].rstrip() + "…"
