"""Progress rendering: throttled plain lines, Rich bars on a terminal, nothing with --json."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from sfimport.app.workspace import Workspace
from sfimport.cli.context import CliState
from sfimport.cli.progress import PlainProgress, describe_event, progress_listener
from sfimport.extract.events import ProgressEvent
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.settings import Settings
from tests.cli.conftest import Invoke
from tests.extract.fake_org import FakeOrg, client_for, make_records
from tests.fakes.services import NOW


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
        "Lead: downloading 10/100 rows (10%)",
        "Lead: downloading 70/100 rows (70%)",
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


def _downloading(done: int, expected: int | None, speed: float | None) -> ProgressEvent:
    return ProgressEvent("r", 2, "Lead", "downloading", done, expected, 1, 1, speed, "", NOW)


def test_plain_lines_show_percent_thousands_and_time_left_from_the_count() -> None:
    line = describe_event(_downloading(12_345, 100_000, 2_000.0))
    assert line == "Lead: downloading 12,345/100,000 rows (12%, 2,000 rows/s, about 44 s left)"
    slow = describe_event(_downloading(1_000, 1_000_000, 500.0))
    assert slow.endswith("(0%, 500 rows/s, about 33 min 18 s left)")
    unknown = describe_event(_downloading(1_500, None, 750.0))
    assert unknown == "Lead: downloading 1,500 rows (750 rows/s)"


def test_the_terminal_bar_shows_percent_rows_with_separators_and_an_eta() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=200, color_system=None)
    state = CliState(terminal=True, _out=console)
    with progress_listener(state) as on_event:
        assert on_event is not None
        on_event(_downloading(40_000, 100_000, 1_000.0))
    shown = [line for line in screen.getvalue().splitlines() if "Lead" in line][-1]
    assert "40%" in shown
    assert "40,000/100,000" in shown
    assert "ETA 1 min 00 s" in shown
    assert "1,000 rows/s" in shown


def test_progress_moves_within_one_bulk_page(tmp_path: Path) -> None:
    # 60,000 rows in a single Bulk result page (several CSV blocks of parsing).
    org = FakeOrg(make_records(60_000), page_size=60_000)
    workspace = Workspace(Settings(home=tmp_path / "home"), client_factory=client_for(org))
    events: list[ProgressEvent] = []
    with workspace:
        spec = ImportSpec(connection="acme", folder="Sales", objects=(ObjectChoice("Contact"),))
        plan = workspace.build_plan(spec)
        assert plan.datasets[0].method == "bulk"
        run = workspace.run_import(plan, on_event=events.append).run
    assert run.status == "complete"
    assert run.datasets[0].pages == 1
    seen = sorted({e.rows_done for e in events if e.phase == "downloading"})
    inside = [n for n in seen if 0 < n < 60_000]
    assert len(inside) >= 1, seen
