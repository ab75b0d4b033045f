"""The pipes benchmark at a tiny scale, so that it cannot rot unnoticed: one round gives every
figure (the refresh alone, with the chain, the chain's own rebuild)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_pipes_benchmark_gives_every_figure(tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    out = tmp_path / "pipes.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "pipes_bench.py"),
            "--quick",
            "--json",
            str(out),
        ],
        cwd=REPO / "benchmarks",
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    median = json.loads(out.read_text())["median"]
    for key in ("refresh_alone_seconds", "refresh_with_chain_seconds", "chain_rebuild_seconds"):
        assert median[key] > 0, key
    assert "of which the 3-pipe chain rebuild" in done.stdout
