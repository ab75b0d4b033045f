"""The refresh cases of `make bench` at a tiny scale: a 1% refresh, a formula refresh and a 1%
refresh in history mode each give a figure beside the full import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIGURES = (
    "cases.full_seconds",
    "cases.refresh_seconds",
    "cases.refresh_share",
    "cases.formulas_seconds",
    "cases.formulas_api_calls",
    "cases.history_seconds",
    "cases.history_disk",
)


def test_quick_refresh_cases_give_every_figure(tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    skips = [
        arg
        for part in ("naive", "memory", "api-calls", "report", "refresh")
        for arg in ("--skip", part)
    ]
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run.py"),
            "--quick",
            "--refresh-cases",
            *skips,
            "--results-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (written,) = tmp_path.glob("*.json")
    figures = json.loads(written.read_text())["figures"]
    for key in FIGURES:
        assert figures[key]["value"] is not None and figures[key]["value"] > 0, key
    assert figures["cases.history_disk"]["value"] > 1, "history mode keeps versions on disk"
