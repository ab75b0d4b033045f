"""Run history: runs and their data sets survive in the metadata database (SQLite, and
PostgreSQL in team mode)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sfimport.extract.events import EventLog
from sfimport.settings import metadata_database_url
from sfimport.store.runs import ErrorInfo, RunLedger

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def ledgers(database_url: str) -> Iterator[list[RunLedger]]:
    """Ledgers opened on one metadata database during a test, closed after it."""
    opened: list[RunLedger] = []
    yield opened
    for ledger in opened:
        ledger.engine.dispose()


def open_ledger(url: str, ledgers: list[RunLedger]) -> RunLedger:
    ledger = RunLedger.at(metadata_database_url(url), lambda: NOW)
    ledgers.append(ledger)
    return ledger


def test_run_and_dataset_progress_round_trip_through_the_database(
    database_url: str, ledgers: list[RunLedger]
) -> None:
    ledger = open_ledger(database_url, ledgers)
    ledger.create(
        "r1",
        kind="import",
        connection="acme",
        folder="Sales",
        spec_toml="",
        datasets=[("Account", "object", "Account", "bulk", 10)],
        started_at=NOW,
    )
    ledger.update_dataset("r1", "Account", status="complete", rows=10, checkpoint={"a": 1})
    error = ErrorInfo("field_unavailable", "gone", "fix", ("reimport",), "Foo__c", "Account")
    ledger.finish("r1", "partial", error=error)

    again = open_ledger(database_url, ledgers)
    run = again.get("r1")
    assert run.status == "partial"
    assert run.started_at == NOW and run.finished_at == NOW
    assert run.error == error
    assert run.datasets[0].rows == 10 and run.datasets[0].rows_expected == 10
    assert again.checkpoint("r1", "Account") == {"a": 1}
    assert [r.id for r in again.recent(dataset="Account")] == ["r1"]
    assert again.recent(dataset="Contact") == []


def test_runs_of_a_data_set_are_found_by_folder_and_name_or_by_name_alone(
    database_url: str, ledgers: list[RunLedger]
) -> None:
    ledger = open_ledger(database_url, ledgers)
    for run_id, folder in (("sales-run", "Sales"), ("archive-run", "Archive")):
        ledger.create(
            run_id,
            kind="import",
            connection="acme",
            folder=folder,
            spec_toml="",
            datasets=[("Lead", "object", "Lead", "rest", 5)],
            started_at=NOW,
        )
    assert [r.id for r in ledger.recent(dataset="Sales.Lead")] == ["sales-run"]
    assert [r.id for r in ledger.recent(dataset="archive.lead")] == ["archive-run"]
    assert {r.id for r in ledger.recent(dataset="Lead")} == {"sales-run", "archive-run"}
    assert ledger.recent(dataset="Marketing.Lead") == []
    assert ledger.recent(dataset="Sales.Contact") == []


def test_event_log_numbers_events_and_returns_those_after_a_sequence() -> None:
    seen = []
    log = EventLog("r1", lambda: NOW, [seen.append])
    log.emit("Account", "downloading", rows_done=5)
    log.emit("Account", "done", rows_done=10)
    assert [e.seq for e in log.after(0)] == [1, 2]
    assert [e.phase for e in log.after(1)] == ["done"]
    assert seen[-1].rows_done == 10
