"""Polling a mailbox over IMAP (`sopcrm mail fetch`).

Unseen messages are fetched without marking them (BODY.PEEK), stored with `inbound_receive`, and
flagged \\Seen only once stored: a crash in between leaves the message unseen, and the next run
fetches it again, which the Message-ID dedupe makes harmless. A message that cannot be stored is
logged and left unseen for the next run.
"""

import logging
from dataclasses import dataclass

from django.utils.translation import gettext as _
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from sopcrm.core.errors import InvalidInput

from ..config import mail_flag, mail_setting
from .inbound import inbound_receive_or_get

logger = logging.getLogger(__name__)

TIMEOUT = 60


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True
    starttls: bool = False

    @classmethod
    def from_settings(cls) -> "ImapConfig":
        """SOPCRM_IMAP_HOST, _PORT, _USER, _PASSWORD, _FOLDER, _SSL, _STARTTLS."""
        host = mail_setting("SOPCRM_IMAP_HOST").strip()
        if not host:
            raise InvalidInput.single(
                "SOPCRM_IMAP_HOST", "required", _("Set SOPCRM_IMAP_HOST to fetch mail over IMAP.")
            )
        ssl = mail_flag("SOPCRM_IMAP_SSL", True)
        starttls = mail_flag("SOPCRM_IMAP_STARTTLS", False) and not ssl
        port_text = mail_setting("SOPCRM_IMAP_PORT").strip()
        try:
            port = int(port_text) if port_text else (993 if ssl else 143)
        except ValueError:
            raise InvalidInput.single(
                "SOPCRM_IMAP_PORT", "invalid", _("SOPCRM_IMAP_PORT must be a port number.")
            ) from None
        return cls(
            host=host,
            port=port,
            user=mail_setting("SOPCRM_IMAP_USER"),
            password=mail_setting("SOPCRM_IMAP_PASSWORD"),
            folder=mail_setting("SOPCRM_IMAP_FOLDER").strip() or "INBOX",
            ssl=ssl,
            starttls=starttls,
        )

    def mailbox(self) -> BaseMailBox:
        if self.ssl:
            return MailBox(self.host, self.port, timeout=TIMEOUT)
        if self.starttls:
            return MailBoxStartTls(self.host, self.port, timeout=TIMEOUT)
        return MailBoxUnencrypted(self.host, self.port, timeout=TIMEOUT)


@dataclass
class FetchResult:
    stored: int = 0
    duplicates: int = 0
    failed: int = 0


def _raw_message(mailbox: BaseMailBox, uid: str) -> bytes | None:
    # The exact bytes, not imap_tools' re-serialised message: the raw MIME is what we keep.
    status, data = mailbox.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def imap_fetch(config: ImapConfig, *, limit: int | None = None) -> FetchResult:
    """Store the folder's unseen messages (up to `limit`) and mark each seen once stored."""
    result = FetchResult()
    with config.mailbox().login(config.user, config.password, config.folder) as mailbox:
        uids = mailbox.uids(AND(seen=False))
        for uid in uids[:limit] if limit else uids:
            raw = _raw_message(mailbox, uid)
            if raw is None:
                result.failed += 1
                logger.warning("imap: could not read message %s", uid)
                continue
            try:
                _inbound, created = inbound_receive_or_get(raw, source="imap")
            except Exception:  # one bad message must not stop the others; it stays unseen
                logger.exception("imap: could not store message %s", uid)
                result.failed += 1
                continue
            mailbox.flag(uid, MailMessageFlags.SEEN, True)
            if created:
                result.stored += 1
            else:
                result.duplicates += 1
    return result
