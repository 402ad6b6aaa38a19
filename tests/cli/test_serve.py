"""`sopcrm serve` and `sopcrm demo` start a real server (web UI and worker in one process)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sopcrm() -> list[str]:
    script = shutil.which("sopcrm", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "sopcrm.cli.main"]


@pytest.fixture
def server(tmp_path):
    """Start `sopcrm <args>` on a free port with a fresh SQLite data directory."""
    processes = []

    def start(*args: str) -> str:
        port = _free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        }
        env["SOPCRM_DATA_DIR"] = str(tmp_path / "data")
        process = subprocess.Popen(
            [*_sopcrm(), *args, "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(process.stdout.read() if process.stdout else "exited")
            try:
                with urllib.request.urlopen(url + "login/", timeout=2) as response:
                    if response.status == 200:
                        return url
            except OSError:
                time.sleep(0.5)
        raise AssertionError("server did not start in time")

    yield start
    for process in processes:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_serve_answers_the_login_page_and_the_api_schema(server):
    url = server("serve")
    with urllib.request.urlopen(url + "api/openapi.json", timeout=5) as response:
        assert response.status == 200 and b'"openapi"' in response.read()


def test_demo_serves_with_demo_data_and_prints_the_logins(server, tmp_path):
    url = server("demo")
    with urllib.request.urlopen(url + "login/", timeout=5) as response:
        assert "sopcrm" in response.read().decode()
    assert (tmp_path / "data" / "sopcrm.sqlite3").exists()
