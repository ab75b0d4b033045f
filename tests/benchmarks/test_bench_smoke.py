"""The benchmark harness at a tiny scale, so that `make bench` cannot rot unnoticed: every figure
of issue 10 comes out of one run, with a value, what was measured and the core count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FIGURES = {
    "import.rows_per_second",
    "import.seconds",
    "import.cpu_seconds",
    "import.peak_rss_mb",
    "import.api_calls",
    "floor.rows_per_second",
    "floor.peak_rss_mb",
    "floor.cpu_seconds",
    "import.first_api_call_seconds",
    "publish.lock_seconds",
    "publish.lock_seconds_per_million_rows",
    "import.share_of_floor",
    "naive.rows_per_second",
    "naive.peak_rss_mb",
    "naive.api_calls",
    "import.times_naive",
    "memory.peak_rss_mb",
    "memory.peak_rss_mb_3x",
    "memory.growth",
    "refresh.seconds",
    "refresh.api_calls",
    "refresh.full_seconds",
    "refresh.full_api_calls",
    "refresh.time_share",
    "refresh.api_call_share",
    "api_calls.ten_objects",
    "api_calls.ten_objects_estimate",
    "report.seconds",
    "report.api_calls",
    "report.rows",
}


def test_quick_benchmark_run_writes_every_figure_as_json(tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run.py"),
            "--quick",
            "--results-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (written,) = tmp_path.glob("*.json")
    result = json.loads(written.read_text())

    figures = result["figures"]
    assert figures.keys() >= FIGURES
    for key in FIGURES:
        figure = figures[key]
        assert figure["value"] is not None and figure["value"] >= 0, (key, figure["note"])
        assert figure["what"] and figure["unit"], key
        assert figure["cores"] >= 1, key
    assert figures["import.rows_per_second"]["runs"], "medians keep their runs"
    assert figures["refresh.seconds"]["note"] == "", "every changed row landed in My Data"
    assert len(result["targets"]) == 6
    assert result["machine"]["cores"] >= 1
    # The table is printed as well as written.
    assert "import.rows_per_second" in done.stdout and "targets:" in done.stdout
