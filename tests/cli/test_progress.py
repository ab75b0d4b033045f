"""Progress rendering: throttled plain lines, Rich bars on a terminal, nothing with --json."""

from __future__ import annotations

from sfimport.cli.progress import PlainProgress
from sfimport.extract.events import ProgressEvent
from tests.cli.conftest import Invoke
from tests.cli.fake_workspace import NOW


def _event(phase: str, done: int) -> ProgressEvent:
    return ProgressEvent("r", 1, "Lead", phase, done, 100, 1, 1, None, "", NOW)


def test_plain_progress_prints_phase_changes_and_throttles_downloading_lines() -> None:
    lines: list[str] = []
    now = [0.0]
    plain = PlainProgress(lines.append, clock=lambda: now[0])
    plain(_event("counting", 0))
    plain(_event("downloading", 10))
    now[0] = 1.0
    plain(_event("downloading", 20))  # too soon: skipped
    now[0] = 7.0
    plain(_event("downloading", 70))
    plain(_event("done", 100))
    assert lines == [
        "Lead: counting 0/100 rows",
        "Lead: downloading 10/100 rows",
        "Lead: downloading 70/100 rows",
        "Lead: done 100/100 rows",
    ]


def test_a_terminal_gets_a_rich_bar_per_data_set(invoke: Invoke) -> None:
    result = invoke(["import", "prod", "-o", "Lead", "-o", "Account"], terminal=True)
    assert result.exit_code == 0, result.output
    assert "250/250" in result.stdout
    assert "40/40" in result.stdout
    assert "Lead: downloading" not in result.stdout


def test_json_mode_prints_no_progress_at_all(invoke: Invoke) -> None:
    result = invoke(["import", "prod", "-o", "Lead", "--json"])
    assert result.stdout.lstrip().startswith("{")
    assert "downloading" not in result.stdout
