"""The figures of one benchmark run: each value with what was measured, its unit, every repeat
and the core count; the targets of issue 10 checked against them; the printed table and the JSON
written under benchmarks/results/."""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def core_count() -> int:
    """Cores this process may run on (the benchmarks' children inherit the same set)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Figure:
    key: str
    #: What was measured, in words a reader of the table understands.
    what: str
    #: The median of ``runs`` (or the single value); None when it could not be measured.
    value: float | None
    unit: str
    runs: tuple[float, ...] = ()
    cores: int = field(default_factory=core_count)
    note: str = ""


def measured(key: str, what: str, runs: Sequence[float], unit: str, note: str = "") -> Figure:
    return Figure(key, what, statistics.median(runs), unit, tuple(runs), note=note)


def derived(key: str, what: str, value: float | None, unit: str, note: str = "") -> Figure:
    return Figure(key, what, value, unit, note=note)


def not_measured(key: str, what: str, unit: str, reason: str) -> Figure:
    return Figure(key, what, None, unit, note=f"not measured: {reason}")


@dataclass(frozen=True)
class Target:
    goal: str
    met: bool | None
    evidence: str


def ratio(top: float | None, bottom: float | None) -> float | None:
    if top is None or not bottom:
        return None
    return top / bottom


def check_targets(figures: dict[str, Figure]) -> list[Target]:
    """Issue 16's targets (and issue 10's still standing) on a 2-core machine; None where a
    figure is missing."""

    def value(key: str) -> float | None:
        found = figures.get(key)
        return found.value if found else None

    def target(goal: str, ok: bool | None, evidence: str) -> Target:
        return Target(goal, ok, evidence)

    targets = []
    to_floor = value("import.share_of_floor")
    targets.append(
        target(
            "end-to-end import at least 0.8x the independent floor's rows per second",
            None if to_floor is None else to_floor >= 0.8,
            f"import/floor = {_shown(to_floor, '.2f')}",
        )
    )
    hold = value("publish.lock_seconds_per_million_rows")
    targets.append(
        target(
            "publish holds My Data's write lock under 0.5 s per million rows",
            None if hold is None else hold < 0.5,
            f"{_shown(value('publish.lock_seconds'), '.2f')} s for the whole import,"
            f" {_shown(hold, '.2f')} s per million rows",
        )
    )
    first_call = value("import.first_api_call_seconds")
    targets.append(
        target(
            "a CLI import makes its first API call within 0.5 s of the process starting",
            None if first_call is None else first_call <= 0.5,
            f"{_shown(first_call, '.2f')} s",
        )
    )
    small, large = value("memory.peak_rss_mb"), value("memory.peak_rss_mb_3x")
    growth = ratio(large, small)
    flat = None if growth is None or large is None else large <= 400 and growth < 1.25
    targets.append(
        target(
            "importer peak RSS under 400 MB and not growing with rows",
            flat,
            f"{_shown(small, '.0f')} MB at 1x rows, {_shown(large, '.0f')} MB at 3x rows"
            f" (x{_shown(growth, '.2f')})",
        )
    )
    to_naive = value("import.times_naive")
    targets.append(
        target(
            "at least 10 times the naive baseline's rows per second",
            None if to_naive is None else to_naive >= 10,
            f"import/naive = {_shown(to_naive, '.1f')}",
        )
    )
    time_share, call_share = value("refresh.time_share"), value("refresh.api_call_share")
    targets.append(
        target(
            "a 1% refresh under 5% of a full import's time and API calls",
            None
            if time_share is None or call_share is None
            else max(time_share, call_share) < 0.05,
            f"time {_shown(_percent(time_share), '.1f')}%,"
            f" API calls {_shown(_percent(call_share), '.1f')}% of the full import",
        )
    )
    return targets


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def _shown(number: float | None, spec: str) -> str:
    return "n/a" if number is None else format(number, spec)


def _value_text(figure: Figure) -> str:
    if figure.value is None:
        return "n/a"
    number = figure.value
    if abs(number) >= 1000:
        text = f"{number:,.0f}"
    elif abs(number) >= 10:
        text = f"{number:.1f}"
    else:
        text = f"{number:.3g}"
    return f"{text} {figure.unit}".strip()


def render_table(figures: dict[str, Figure], targets: list[Target], header: str) -> str:
    rows = [("figure", "median", "runs", "what was measured")]
    for figure in figures.values():
        what = figure.what + (f" [{figure.note}]" if figure.note else "")
        rows.append((figure.key, _value_text(figure), str(len(figure.runs) or "-"), what))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [header, ""]
    for index, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[3]
        )
        if index == 0:
            lines.append("-" * (sum(widths) + 6 + len("what was measured")))
    lines += ["", "targets:"]
    for item in targets:
        verdict = {True: "met", False: "MISSED", None: "unknown"}[item.met]
        lines.append(f"  [{verdict}] {item.goal}: {item.evidence}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "cores": core_count(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def write_json(
    directory: Path,
    figures: dict[str, Figure],
    targets: list[Target],
    settings: dict[str, Any],
    details: dict[str, Any],
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = directory / f"{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    document = {
        "created_at": now.isoformat(),
        "machine": machine(),
        "settings": settings,
        "figures": {key: asdict(figure) for key, figure in figures.items()},
        "targets": [asdict(item) for item in targets],
        "details": details,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path
