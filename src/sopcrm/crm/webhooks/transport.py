"""One POST to a receiver, over HTTP or HTTPS with the standard library, following no
redirects; whatever happens comes back as an `Outcome` for the delivery log."""

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPException
from typing import IO

# Seconds the receiver has to connect, and to answer each read.
TIMEOUT_SECONDS = 10.0
EXCERPT_CHARS = 500


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is a failed attempt: following it would post the signed event to a URL no
    administrator registered."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


def _opener() -> urllib.request.OpenerDirector:
    # Only the handlers a webhook needs: no file:, ftp: or data: URLs, no redirects.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _NoRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str = ""
    excerpt: str = ""

    @property
    def sent(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _excerpt(stream: IO[bytes]) -> str:
    try:
        raw = stream.read(EXCERPT_CHARS * 4)
    except (OSError, HTTPException):  # the status decides; a body cut short changes nothing
        return ""
    return raw.decode("utf-8", errors="replace").replace("\x00", "")[:EXCERPT_CHARS]


def _error(text: str) -> str:
    # Kept in a text column: no NUL (PostgreSQL refuses it), and no essay.
    return text.replace("\x00", "")[:2000]


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST once; any answer but a 2xx, and any network failure, is an Outcome with an error."""
    if urllib.parse.urlsplit(url).scheme.lower() not in {"http", "https"}:
        return Outcome(None, "Only http:// and https:// URLs can receive webhooks.")
    try:
        # The scheme is checked above, and the opener has no handler for any other.
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        with _opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            return Outcome(response.status, "", _excerpt(response))
    except urllib.error.HTTPError as exc:
        with exc:
            excerpt = _excerpt(exc)
        error = f"HTTP {exc.code} {exc.reason}".strip()
        if 300 <= exc.code < 400:
            location = exc.headers.get("Location", "") if exc.headers else ""
            error += f": redirects are not followed (Location: {location})"
        return Outcome(exc.code, _error(error), excerpt)
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, BaseException):
            return Outcome(None, _error(f"{type(reason).__name__}: {reason}"))
        return Outcome(None, _error(str(reason)))
    except Exception as exc:  # a timeout while reading, a malformed answer: a failed attempt
        return Outcome(None, _error(f"{type(exc).__name__}: {exc}"))
