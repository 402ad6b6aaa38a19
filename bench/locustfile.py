"""Signed-in reps and managers browsing sopcrm, for `python -m bench load` (bench/load.py runs
locust with this file against `sopcrm serve`; it is not meant to be run alone).

The plan (SOPCRM_LOAD_PLAN, a JSON file bench/load.py writes) holds one session per persona:
its cookie, the deals it may open and words to search for. Each simulated user takes the next
session and, without pause, asks for My day, the deal board, the deal list, one of its deals or
a search, weighted as a working day mixes them. Anything but a 200 is an error: redirects are
not followed, so a session that stopped working counts as errors, not as login pages served."""

import itertools
import json
import os
import random
from typing import Any

from locust import HttpUser, constant, task

with open(os.environ["SOPCRM_LOAD_PLAN"], encoding="utf-8") as plan_file:
    PLAN: dict[str, Any] = json.load(plan_file)
SESSIONS = itertools.cycle(PLAN["sessions"])


class SalesUser(HttpUser):
    wait_time = constant(PLAN.get("think_seconds", 0))

    def on_start(self) -> None:
        self.session = next(SESSIONS)
        self.client.cookies.set(PLAN["cookie_name"], self.session["cookie"])
        self.rng = random.Random(self.session["cookie"])

    def _get(self, url: str, name: str) -> None:
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(3)
    def my_day(self) -> None:
        self._get("/", "My day")

    @task(1)
    def board(self) -> None:
        self._get("/deals/board/", "Deal board")

    @task(2)
    def deal_list(self) -> None:
        self._get("/deals/", "Deals")

    @task(4)
    def deal(self) -> None:
        self._get(f"/deals/{self.rng.choice(self.session['deals'])}/", "A deal")

    @task(1)
    def search(self) -> None:
        self._get(f"/search/?q={self.rng.choice(self.session['words'])}", "Search")
