"""Team mode's shared API budget: calls are booked in one row per org of the metadata database,
so workers in different processes never cross an org's budget together."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from sfimport.errors import ApiBudgetReached
from sfimport.extract.budget import ApiGate
from sfimport.salesforce.client import ApiUsage
from sfimport.settings import metadata_database_url
from sfimport.store.allowance import STALE_AFTER, SqlAllowance
from sfimport.store.metadata import create_metadata_engine

ORG = "acme.my.salesforce.com"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def url(database_url: str) -> Iterator[str]:
    sqlalchemy_url = metadata_database_url(database_url)
    create_metadata_engine(sqlalchemy_url).dispose()
    yield sqlalchemy_url


def test_calls_are_booked_up_to_the_ceiling_and_settled_with_the_reported_usage(
    url: str,
) -> None:
    engine = create_metadata_engine(url)
    clock = [NOW]
    allowance = SqlAllowance(engine, now=lambda: clock[0])
    for _ in range(3):
        assert allowance.reserve(ORG, ceiling=103, maximum=1000, used=100) is None
    assert allowance.reserve(ORG, ceiling=103, maximum=1000, used=100) == 103  # 100 + 3 flying
    assert allowance.state(ORG) == (100, 1000, 3)
    allowance.settle(ORG, 101)
    allowance.settle(ORG, None)  # no answer: counted as spent
    assert allowance.state(ORG) == (102, 1000, 1)
    # A process that died mid-call never settles: its booking is forgotten once stale.
    assert allowance.reserve(ORG, ceiling=103, maximum=1000, used=None) == 103
    clock[0] = NOW + STALE_AFTER + timedelta(seconds=1)
    assert allowance.reserve(ORG, ceiling=103, maximum=1000, used=None) is None
    assert allowance.state(ORG) == (102, 1000, 1)
    engine.dispose()


BOOKER = """
import sys
from sfimport.store.allowance import SqlAllowance
from sfimport.store.metadata import create_metadata_engine
engine = create_metadata_engine(sys.argv[1])
allowance = SqlAllowance(engine)
print("ready", flush=True)
sys.stdin.readline()
booked = sum(allowance.reserve("org", 500, 1000, 400) is None for _ in range(50))
print(booked, flush=True)
engine.dispose()
"""


def test_processes_booking_at_once_never_pass_the_ceiling_together(url: str) -> None:
    bookers = [
        subprocess.Popen(
            [sys.executable, "-c", BOOKER, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "error"},
        )
        for _ in range(3)
    ]
    for booker in bookers:
        assert booker.stdout is not None and booker.stdout.readline().strip() == "ready"
    for booker in bookers:
        assert booker.stdin is not None
        booker.stdin.write("go\n")
        booker.stdin.flush()
    counts = []
    for booker in bookers:
        out, _ = booker.communicate(timeout=120)
        counts.append(int(out))
    # 3 x 50 attempts on 100 free calls (400 used, ceiling 500): exactly 100 booked in all.
    assert sum(counts) == 100, counts


class Org:
    """A Salesforce org's API counter: every data call spends one, reported in the answer."""

    def __init__(self, used: int) -> None:
        self.used = used
        self.lock = threading.Lock()

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        time.sleep(0.005)  # calls overlap, as on the network
        with self.lock:
            self.used += 1
            used = self.used
        return httpx2.Response(
            200, json={}, headers={"Sforce-Limit-Info": f"api-usage={used}/1000"}
        )


def test_two_workers_gates_stay_within_one_budget_together(postgres_url: str) -> None:
    url = metadata_database_url(postgres_url)
    engine = create_metadata_engine(url)
    org = Org(used=700)
    instance = f"https://{ORG}"
    # Two workers (each its own gate, as in two processes), eight downloads each.
    gates = [ApiGate(httpx2.MockTransport(org.handle), shared=SqlAllowance(engine)) for _ in "ab"]
    refused = []

    def download(gate: ApiGate) -> None:
        with httpx2.Client(transport=gate) as client:
            while True:
                try:
                    client.get(f"{instance}/services/data/v62.0/query?q=x")
                except ApiBudgetReached:
                    refused.append(1)
                    return

    holds = [gate.budget(instance, 80.0, ApiUsage(used=700, max=1000)) for gate in gates]
    for hold in holds:
        hold.__enter__()
    threads = [threading.Thread(target=download, args=(g,)) for g in gates for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for hold in holds:
        hold.__exit__(None, None, None)
    assert len(refused) == 16
    assert org.used == 800, "the budget (80% of 1,000) is reached together, never crossed"
    engine.dispose()
