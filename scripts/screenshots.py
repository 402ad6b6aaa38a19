"""Take the screenshots in docs/screenshots/: each main page, in English and in Chinese.

    uv run python scripts/screenshots.py [--out docs/screenshots]

Runs the demo (fresh SQLite database in a temporary directory) on a free local port, signs in as
the demo's reps and its manager `wang` in Debian's Chromium (never `playwright install`) and saves
one PNG per page and language (what shows without scrolling), plus My day at phone width. The
demo's dates are relative to today, so the pictures show today's work.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
PASSWORD = "sopcrm-demo"
LAPTOP = {"width": 1366, "height": 1000}
PHONE = {"width": 390, "height": 844}
LANGUAGES = {"en": "English", "zh": "简体中文"}


@dataclass(frozen=True)
class Shot:
    name: str  # the file name without language and extension
    user: str
    path: str  # a URL path, or "deal:<stage>" for the first deal in that stage
    phone: bool = False
    full_page: bool = False  # the whole page, not only what fits the window


SHOTS = [
    Shot("my-day", "li", "/"),
    Shot("my-day-phone", "li", "/", phone=True),
    Shot("board", "wang", "/deals/board/"),
    Shot("deals", "wang", "/deals/"),
    Shot("deal", "zhang", "deal:quoted"),
    Shot("lead", "li", "lead:new"),
    Shot("search", "wang", "/search/?q=gmbh"),
    Shot("approvals", "wang", "/approvals/"),
    Shot("reports", "wang", "/reports/", full_page=True),
    Shot("playbook", "wang", "/playbook/"),
    Shot("notifications", "li", "/notifications/"),
    Shot("import", "wang", "/imports/"),
    Shot("settings", "li", "/settings/"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own local server
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the demo did not answer at {url}")


def _record_path(env: dict[str, str], spec: str, owner: str) -> str:
    """The page of the owner's first demo lead or deal in a stage."""
    record_type, stage = spec.split(":")
    code = (
        "import django; django.setup();"
        "from sopcrm.crm.records.models import Deal, Lead;"
        f"model = {'Deal' if record_type == 'deal' else 'Lead'};"
        f"print(model.objects.filter(stage={stage!r}, owner__username={owner!r}).order_by('pk')"
        ".values_list('pk', flat=True).first())"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return f"/{record_type}s/{out.stdout.strip()}/"


def _sign_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _language(page: Page, code: str) -> None:
    page.locator(f".language-switch button[value='{code if code == 'en' else 'zh-hans'}']").click()
    page.wait_for_load_state("networkidle")


def _take(
    browser: Browser, base: str, env: dict[str, str], shot: Shot, code: str, out: Path
) -> None:
    context = browser.new_context(base_url=base, viewport=PHONE if shot.phone else LAPTOP)
    page = context.new_page()
    _sign_in(page, shot.user)
    _language(page, code)
    path = shot.path if shot.path.startswith("/") else _record_path(env, shot.path, shot.user)
    response = page.goto(path)
    page.wait_for_load_state("networkidle")
    if response is None or response.status != 200:
        print(f"skipped {shot.name}: {path} answered {response.status if response else None}")
    else:
        if page.locator("[data-chart]").count():
            page.wait_for_timeout(1500)  # let the charts finish their entry animation
        target = out / f"{shot.name}.{code}.png"
        page.screenshot(path=str(target), full_page=shot.full_page)
        print(f"wrote {target}")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "SOPCRM_DATA_DIR": data_dir,
            "DJANGO_SETTINGS_MODULE": "sopcrm.config.settings",
        }
        env.pop("DATABASE_URL", None)
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-m", "sopcrm.cli.main", "demo", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(f"{base}/login/", seconds=180)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for code in LANGUAGES:
                    for shot in SHOTS:
                        _take(browser, base, env, shot, code, out)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
