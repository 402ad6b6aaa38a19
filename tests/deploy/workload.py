"""The scripted workload of the scale-out test, spoken over HTTP to a site's web processes in
turn: inquiries in through the API (assigned round robin), transitions, a task completed, and an
import through the web pages, which the workers run from the task queue."""

import itertools
import json
import urllib.request
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import uuid4

CONTACT = {
    "first_contact_channel": "whatsapp",
    "requirements_clear": True,
    "expected_purchase_time": "within_3_months",
}
QUALIFY = {"product_interest": "Ball valves", "quantity": 500}
CONFIRM = {
    "target_price": {"amount": "12.50", "currency": "USD"},
    "lead_time_requirement": "30 days",
    "certifications": "EU, CE",
    "competitor": "A local maker",
}
QUOTE = {
    "quote_date": "2025-11-05",
    "quote_valid_until": "2025-12-05",
    "quote_channel": "email",
    "core_specifications": "DN50 stainless, PN16",
    "quote_type": "range_with_preconditions",
}
OUTCOME = {"summary": "Called back", "channel": "phone", "feedback_type": "no_reply"}
IMPORT_ROWS = [
    ["Ida", "Berg", "Berg Hydraulik", "ida@berg-hydraulik.example", "DE"],
    ["Jon", "Moss", "Moss Pumps", "jon@moss-pumps.example", "GB"],
    ["Kai", "Lund", "Lund Marine", "kai@lund-marine.example", "NO"],
    ["Lea", "Roth", "", "not-an-address", "DE"],
]


def inquiry(n: int) -> dict[str, Any]:
    return {
        "name": f"Buyer {n:02d}",
        "email": f"buyer{n:02d}@company{n:02d}.example",
        "company": f"Company {n:02d} GmbH",
        "country": "DE",
    }


class Client:
    """Each call goes to the next web process (round robin over `urls`); the API with the
    token, the pages with a signed-in session (its cookie works on every process)."""

    def __init__(self, urls: list[str], token: str) -> None:
        self.urls = itertools.cycle(urls)
        self.token = token
        self.cookies = CookieJar()
        self.browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def api(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{next(self.urls)}/api{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read()[:2000]!r}") from None

    def _csrf(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def page(self, path: str, fields: dict[str, str] | None = None, **files: bytes) -> str:
        """GET a page, or POST a form to it (with the CSRF token; files as multipart)."""
        url = f"{next(self.urls)}{path}"
        if fields is None:
            with self.browser.open(url, timeout=60) as response:
                return str(response.geturl())
        fields = {**fields, "csrfmiddlewaretoken": self._csrf()}
        if files:
            boundary = uuid4().hex
            disposition = f"--{boundary}\r\nContent-Disposition: form-data"
            parts = [
                f'{disposition}; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
            ]
            for name, data in files.items():
                parts.append(
                    f'{disposition}; name="{name}"; '
                    f'filename="{name}.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                    + data
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            body = urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
        with self.browser.open(request, timeout=60) as response:
            return str(response.geturl())  # where the redirects ended

    def take(self, record: str, record_id: int, transition: str, data: dict[str, Any]) -> Any:
        return self.api(
            "POST", f"/{record}s/{record_id}/transitions", {"transition": transition, "data": data}
        )


def run_workload(client: Client) -> None:
    # Twelve inquiries, one batch call each but the last three together; the 12th repeats the
    # 1st buyer's address, so it is linked to the first.
    leads = []
    for n in range(9):
        leads += client.api("POST", "/leads/batch", {"leads": [inquiry(n)]})["results"]
    repeat = {**inquiry(0), "name": "Buyer 00 again"}
    leads += client.api("POST", "/leads/batch", {"leads": [inquiry(9), inquiry(10), repeat]})[
        "results"
    ]
    assert [r["outcome"] for r in leads] == ["created"] * 11 + ["linked"], leads
    ids = [r["lead"] for r in leads]

    # Six contacted (completing their first-contact task), three of them qualified, two of
    # those converted to deals; one disqualified.
    for lead_id in ids[:6]:
        assert client.take("lead", lead_id, "contact", CONTACT)["stage"] == "contacted"
    for lead_id in ids[:3]:
        assert client.take("lead", lead_id, "qualify", QUALIFY)["stage"] == "qualified"
    for lead_id in ids[:2]:
        assert client.take("lead", lead_id, "convert", {})["stage"] == "converted"
    client.take("lead", ids[6], "disqualify", {"disqualify_reason": "spam"})

    # The deals: one walked to a quote (its chase task is created), the other contacted; a
    # task added by hand and completed.
    deals = client.api("GET", "/deals?limit=50")["items"]
    assert len(deals) == 2, deals
    first, second = sorted(deals, key=lambda d: d["title"])
    client.take("deal", first["id"], "contact", CONTACT)
    client.take("deal", first["id"], "confirm_requirements", CONFIRM)
    client.take("deal", first["id"], "send_quote", QUOTE)
    client.take("deal", second["id"], "contact", CONTACT)
    task = client.api(
        "POST",
        "/activities",
        {
            "kind": "task",
            "subject": "Send the catalogue",
            "deal": second["id"],
            "due_at": "2025-11-07T10:00:00+08:00",
        },
    )
    client.api("POST", f"/activities/{task['id']}/complete", OUTCOME)

    # An import through the pages, run by a worker from the task queue.
    client.page("/login/")
    client.page("/login/", {"username": "admin", "password": "pw-admin-1"})
    header = "First Name,Last Name,Company,Email,Country\r\n"
    rows = "".join(",".join(row) + "\r\n" for row in IMPORT_ROWS)
    preview = client.page("/imports/", {"preset": ""}, file=(header + rows).encode())
    targets = ["first_name", "last_name", "company", "email", "country"]
    mapping = {f"col-{i}": target for i, target in enumerate(targets)}
    started = client.page(urlsplit(preview).path, {**mapping, "action": "start"})
    assert urlsplit(started).path != urlsplit(preview).path, started  # on to the job's page
