"""`sopcrm mail fetch --once` against a real IMAP server: Debian's dovecot, run unprivileged as a
subprocess with its own configuration, a passwd-file user and a maildir in a temporary folder.
Unseen messages are stored and then marked seen; fetching again adds nothing."""

import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sopcrm.crm.mail.models import InboundEmail, InboundStatus
from sopcrm.crm.records.services.deals import deal_create

from .conftest import free_port, mime, reply_to_address

USER, PASSWORD = "crm", "imap-test-password"


def _dovecot() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None
    )


@dataclass
class Dovecot:
    port: int
    log: Path

    def imap(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(USER, PASSWORD)
        client.select("INBOX")
        return client

    def append(self, raw: bytes) -> None:
        client = self.imap()
        client.append("INBOX", None, None, raw)
        client.logout()

    def unseen(self) -> int:
        client = self.imap()
        _status, data = client.search(None, "UNSEEN")
        client.logout()
        return len(data[0].split())

    def empty(self) -> None:
        client = self.imap()
        _status, data = client.search(None, "ALL")
        if data[0].split():
            client.store("1:*", "+FLAGS", "\\Deleted")
            client.expunge()
        client.logout()


def _identity(root: Path) -> dict[str, str]:
    """Who the server's processes run as. Dovecot refuses root for its login processes and uid 0
    for mail, so as root they run as `nobody`, who gets the mail folder; as anyone else, as
    that user."""
    if os.getuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for folder in ("mail", "home"):
            os.chown(root / folder, nobody.pw_uid, nobody.pw_gid)
        os.chmod(root, 0o755)  # nobody must reach the mail folder
        group = grp.getgrgid(nobody.pw_gid).gr_name
        return {
            "user": "nobody",
            "group": group,
            "uid": str(nobody.pw_uid),
            "gid": str(nobody.pw_gid),
        }
    me = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(os.getgid()).gr_name
    return {"user": me.pw_name, "group": group, "uid": str(os.getuid()), "gid": str(os.getgid())}


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _wait_for_greeting(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            imaplib.IMAP4("127.0.0.1", port).logout()
            return
        except OSError:
            time.sleep(0.1)
    text = log.read_text() if log.exists() else "(no log)"
    process.kill()
    raise RuntimeError(f"dovecot did not start:\n{text}")


@pytest.fixture(scope="session")
def dovecot():
    binary = _dovecot()
    if binary is None:
        pytest.skip("dovecot not installed: apt-get install dovecot-imapd")
    root = Path(tempfile.mkdtemp(prefix="sopcrm-dovecot-"))
    for folder in ("mail", "home"):
        (root / folder).mkdir()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port, **_identity(root)))
    process = subprocess.Popen(
        [binary, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_greeting(port, process, root / "dovecot.log")
    yield Dovecot(port, root / "dovecot.log")
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot, settings):
    """An empty INBOX, and the IMAP settings pointing at it."""
    dovecot.empty()
    settings.SOPCRM_IMAP_HOST = "127.0.0.1"
    settings.SOPCRM_IMAP_PORT = str(dovecot.port)
    settings.SOPCRM_IMAP_USER = USER
    settings.SOPCRM_IMAP_PASSWORD = PASSWORD
    settings.SOPCRM_IMAP_FOLDER = "INBOX"
    settings.SOPCRM_IMAP_SSL = "false"
    return dovecot


def fetch() -> str:
    out = StringIO()
    call_command("mail", "fetch", "--once", stdout=out)
    return out.getvalue()


def test_fetch_stores_unseen_messages_and_marks_them_seen(mailbox, people, settings):
    settings.SOPCRM_REPLY_ADDRESS = "crm@replies.example.com"
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    mailbox.append(mime(to=reply_to_address(deal), message_id="<m1@customer.example>"))
    mailbox.append(mime(sender="stranger@nowhere.example", message_id="<m2@customer.example>"))
    assert mailbox.unseen() == 2
    output = fetch()
    assert "Stored 2 new messages" in output
    stored = {e.message_id: e for e in InboundEmail.objects.all()}
    assert set(stored) == {"<m1@customer.example>", "<m2@customer.example>"}
    assert stored["<m1@customer.example>"].status == InboundStatus.MATCHED
    assert stored["<m1@customer.example>"].deal == deal
    assert stored["<m1@customer.example>"].source == "imap"
    assert stored["<m2@customer.example>"].status == InboundStatus.UNMATCHED
    assert mailbox.unseen() == 0


def test_raw_message_is_kept_byte_for_byte(mailbox, db):
    raw = mime(message_id="<raw@customer.example>").replace(b"\n", b"\r\n")
    mailbox.append(raw)
    fetch()
    assert bytes(InboundEmail.objects.get().raw) == raw


def test_second_fetch_adds_nothing(mailbox, db):
    mailbox.append(mime(message_id="<once@customer.example>"))
    fetch()
    assert "Stored 0 new messages" in fetch()
    assert InboundEmail.objects.count() == 1


def test_a_message_stored_before_is_marked_seen_and_not_stored_again(mailbox, db):
    raw = mime(message_id="<again@customer.example>")
    mailbox.append(raw)
    fetch()
    mailbox.append(raw)  # the same message delivered once more, unseen
    assert "1 already stored" in fetch()
    assert InboundEmail.objects.count() == 1
    assert mailbox.unseen() == 0


def test_wrong_password_fails_clearly(mailbox, db, settings):
    settings.SOPCRM_IMAP_PASSWORD = "wrong"
    with pytest.raises(CommandError, match=r"IMAP fetch from 127\.0\.0\.1 failed"):
        fetch()


def test_fetch_without_a_host_says_what_to_set(db, settings):
    settings.SOPCRM_IMAP_HOST = ""
    with pytest.raises(CommandError, match="SOPCRM_IMAP_HOST"):
        fetch()
