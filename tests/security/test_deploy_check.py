"""`manage.py check --deploy` is clean with the production settings (no warning either)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # The database of the check is a fresh SQLite file: the test database's URL names a database
    # that only exists under its test name.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "sopcrm.config.production",
        "SOPCRM_SECRET_KEY": secrets.token_urlsafe(60),
        "SOPCRM_ALLOWED_HOSTS": "crm.example.com",
        "SOPCRM_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
