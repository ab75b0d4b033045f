"""Run liveness is a lease: a run held by a live process is never taken, however many claim
it at once; a lapsed lease (or a holder known dead on this host) frees it for one claimer."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update

from sfimport.settings import metadata_database_url
from sfimport.store.leases import Holder, this_process
from sfimport.store.runs import EXECUTING, RunLedger, RunRow, RunStatus


class Clock:
    """The machine's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


#: Engines a test opened, closed after it (a PostgreSQL connection left open warns).
OPENED: list[Engine] = []


@pytest.fixture
def url(database_url: str) -> Iterator[str]:
    """SQLite (the embedded default) and PostgreSQL (team mode), through the same migrations."""
    yield metadata_database_url(database_url)
    while OPENED:
        OPENED.pop().dispose()


def ledger_at(url: str, lease: float = 30.0, clock: Clock | None = None) -> RunLedger:
    ledger = RunLedger.at(
        url,
        lambda: datetime(2026, 1, 5, tzinfo=UTC),
        lease_seconds=lease,
        lease_clock=clock or Clock(),
    )
    OPENED.append(ledger.engine)
    return ledger


def record_run(ledger: RunLedger, run_id: str = "r1") -> None:
    ledger.create(
        run_id,
        kind="import",
        connection="demo",
        folder="Sales",
        spec_toml="",
        datasets=[("Contact", "object", "Contact", "rest", None)],
        started_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


def held_by(ledger: RunLedger, run_id: str, owner: str, until: datetime | None) -> None:
    """The run as another process left it: running, under that process's lease."""
    EXECUTING.discard(run_id)
    with ledger.engine.begin() as connection:
        connection.execute(
            update(RunRow)
            .where(RunRow.id == run_id)
            .values(status="running", lease_owner=owner, lease_until=until)
        )


def test_a_new_run_is_held_by_this_process_and_runs_list_it_as_its_worker(
    url: str,
) -> None:
    ledger = ledger_at(url)
    record_run(ledger)
    run = ledger.get("r1")
    assert run.worker == this_process()
    assert run.lease_until is not None and run.lease_until > datetime.now(UTC)
    ledger.to_queue("r1")
    queued = ledger.get("r1")
    assert queued.status is RunStatus.QUEUED and queued.worker is None


def test_a_run_under_a_live_lease_is_taken_by_nobody(url: str) -> None:
    ledger = ledger_at(url)
    record_run(ledger)
    held_by(ledger, "r1", "elsewhere:4242", datetime(2999, 1, 1, tzinfo=UTC))
    assert ledger.mark_abandoned() == []
    assert not ledger.claim("r1", "me:1")
    assert ledger.get("r1").worker == Holder("elsewhere", 4242)


def test_a_lapsed_lease_frees_the_run_for_exactly_one_of_many_claimers(url: str) -> None:
    ledger = ledger_at(url)
    record_run(ledger)
    held_by(ledger, "r1", "elsewhere:4242", datetime(2000, 1, 1, tzinfo=UTC))
    won: list[str] = []
    barrier = threading.Barrier(8)

    def claim(name: str) -> None:
        mine = ledger_at(url)  # its own engine, as another process would have
        barrier.wait()
        if mine.claim("r1", name):
            won.append(name)

    threads = [threading.Thread(target=claim, args=(f"host:{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1, won
    assert str(ledger.get("r1").worker) == won[0]
    EXECUTING.discard("r1")


def test_a_renewed_lease_outlives_its_first_term_and_lapses_once_renewals_stop(
    url: str,
) -> None:
    clock = Clock()
    ledger = ledger_at(url, lease=30, clock=clock)
    record_run(ledger)
    EXECUTING.discard("r1")  # as seen from another process
    for _ in range(5):
        clock.advance(20)
        assert ledger.renew("r1")
    assert ledger.mark_abandoned() == [], "renewed past its first term: still held"
    clock.advance(31)  # the holder stopped renewing: its process died
    assert ledger.mark_abandoned() == ["r1"]
    run = ledger.get("r1")
    assert run.status is RunStatus.FAILED and run.error is not None
    assert run.error.kind == "interrupted" and "resume" in run.error.actions
    assert run.resume_at is not None, "due for a resume at once"


def test_a_released_lease_frees_the_run_at_once(url: str) -> None:
    ledger = ledger_at(url)
    record_run(ledger)
    EXECUTING.discard("r1")  # the thread that ran it is gone
    assert ledger.mark_abandoned() == []
    ledger.release("r1")
    assert ledger.claim("r1", "me:1")
    assert not ledger.renew("r1"), "the old holder lost it"
    assert ledger.renew("r1", "me:1")
    EXECUTING.discard("r1")


def test_a_holder_known_dead_on_this_host_frees_its_run_before_the_lease_ends(
    url: str,
) -> None:
    ledger = ledger_at(url)
    record_run(ledger)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = Holder(this_process().host, int(gone.stdout))
    held_by(ledger, "r1", str(dead), datetime(2999, 1, 1, tzinfo=UTC))
    assert ledger.mark_abandoned() == ["r1"]


@pytest.mark.parametrize("owner", ["other-host:1", "not a holder"])
def test_a_holder_on_another_host_is_judged_by_its_lease_only(url: str, owner: str) -> None:
    ledger = ledger_at(url)
    record_run(ledger)
    held_by(ledger, "r1", owner, datetime(2999, 1, 1, tzinfo=UTC))
    assert ledger.mark_abandoned() == []


def test_a_holder_that_lost_its_run_writes_nothing_more_about_it(url: str) -> None:
    ledger = ledger_at(url)
    record_run(ledger)
    ledger.update_dataset("r1", "Contact", rows=2000, pages=1)
    # Its lease lapsed and another worker took the run over.
    held_by(ledger, "r1", "elsewhere:4242", datetime(2999, 1, 1, tzinfo=UTC))
    ledger.update_dataset("r1", "Contact", rows=2500, pages=2)
    ledger.finish("r1", "failed")
    run = ledger.get("r1")
    assert run.status is RunStatus.RUNNING and run.worker == Holder("elsewhere", 4242)
    assert (run.datasets[0].rows, run.datasets[0].pages) == (2000, 1)
