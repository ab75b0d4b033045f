"""`make bench`: every figure of issues 10 and 16 in one run, side by side, printed as a table and
written as JSON under benchmarks/results/.

The emulator serves the org from a process of its own; every workload (the product's import, the
Bulk download-and-parse floor, the naive REST + pandas baseline, the refresh, the report) runs
in a child process measured from outside (see `measured_process`). The throughput figures time
whole processes, start-up included: the import is the `sfimport import` command, the floor is
`floor.py`, which shares no code with the product (urllib + zlib + pyarrow.csv). Import and
floor runs are interleaved so that drift hits both. Figures are medians over ``--repeat`` runs;
nothing here passes or fails.

    python benchmarks/run.py                 # 1,000,000 Account rows (about 50 columns), 3 runs
    python benchmarks/run.py --rows 100000 --repeat 1
    python benchmarks/run.py --quick         # tiny, for the smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import refresh_cases
from emulated_org import RunningEmulator, emulator_processes, sfimport_command
from figures import (
    Figure,
    check_targets,
    core_count,
    derived,
    measured,
    not_measured,
    ratio,
    render_table,
    write_json,
)
from measured_process import Measured, WorkloadFailed, run_command, run_workload
from profiled import py_spy_command, stage_seconds

from sfimport.emulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

HERE = Path(__file__).resolve().parent
FLOOR = HERE / "floor.py"
LARGE_OBJECT = "Account"
TEN_OBJECTS = (
    "Account",
    "Contact",
    "Lead",
    "Campaign",
    "Product2",
    "Opportunity",
    "OpportunityLineItem",
    "Case",
    "Task",
    "Event",
)
REPORT_ROWS = 10_000
#: A summary demo report over opportunities; about 97% of the generated ones reach it.
REPORT_NAME = "Pipeline by Stage"
#: Rows of the ten-object org: some objects large enough for Bulk, the rest read through REST;
#: the opportunities make the report's 10,000 rows.
TEN_OBJECT_SCALE = {"Contact": 60_000, "Opportunity": 10_330, "Task": 80_000, "Case": 20_000}
CHANGED_SHARE = 0.01


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large object")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median shown)")
    parser.add_argument(
        "--memory-factor", type=int, default=3, help="peak RSS is also measured at rows x this"
    )
    parser.add_argument("--quick", action="store_true", help="2,000 rows, one run: smoke test")
    parser.add_argument(
        "--results-dir", type=Path, default=HERE / "results", help="where the JSON goes"
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["naive", "memory", "refresh", "refresh-cases", "api-calls", "report"],
        help="leave out a group of figures (repeatable)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="one more import under py-spy: time per stage"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and logs")
    parser.add_argument(
        "--refresh-cases",
        action="store_true",
        help="run refresh_cases.py in --quick runs too (it always runs otherwise)",
    )
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.rows = 2000
        arguments.repeat = 1
    return arguments


class Bench:
    """One benchmark run: the scratch folder, the figures so far and the raw details."""

    def __init__(self, arguments: argparse.Namespace, scratch: Path) -> None:
        self.arguments = arguments
        self.scratch = scratch
        self.figures: dict[str, Figure] = {}
        self.details: dict[str, Any] = {}
        self._serial = 0

    def add(self, figure: Figure) -> None:
        self.figures[figure.key] = figure
        print(f"  {figure.key}: {figure.value} {figure.unit} {figure.note}".rstrip(), flush=True)

    def workload(
        self,
        kind: str,
        org: RunningEmulator,
        objects: list[str],
        prefix: Sequence[str] = (),
        **extra: Any,
    ) -> Measured:
        self._serial += 1
        folder = self.scratch / f"{self._serial:02d}-{kind}"
        tokens = org.tokens()
        config = {
            "base_url": org.base_url,
            "home": str(folder / "home"),
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "refresh_token": tokens["refresh_token"],
            "access_token": tokens["access_token"],
            "objects": objects,
            **extra,
        }
        print(f"- {kind} ({', '.join(objects) or extra.get('report', '')})", flush=True)
        started = time.perf_counter()
        try:
            return run_workload(kind, config, folder, prefix)
        finally:
            print(f"  done in {time.perf_counter() - started:.1f}s", flush=True)
            # Imported data sets are large; keep only the logs and results.
            shutil.rmtree(folder / "home", ignore_errors=True)

    def cli_import(self, org: RunningEmulator, objects: list[str]) -> Measured:
        """``sfimport import`` as a person types it, timed as a whole process from outside.

        The data folder is connected to the org first, in a process of its own (not timed). The
        API calls are the org's own count; the time to the first API call is seen from outside
        too, by watching that count while the command starts."""
        self._serial += 1
        folder = self.scratch / f"{self._serial:02d}-cli-import"
        home = folder / "home"
        tokens = org.tokens()
        config = {
            "base_url": org.base_url,
            "home": str(home),
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "refresh_token": tokens["refresh_token"],
            "access_token": tokens["access_token"],
            "objects": objects,
        }
        run_workload("prepare", config, folder)
        env = {
            **os.environ,
            "SFIMPORT_HOME": str(home),
            "SFIMPORT_CLIENT_ID": DEMO_CLIENT_ID,
            "SFIMPORT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "SFIMPORT_PRODUCTION_LOGIN_URL": org.base_url,
        }
        # Info logs (on stderr, into the log file) say how long each publish held My Data.
        command = [
            *sfimport_command(),
            "--log-level",
            "info",
            "--json",
            "import",
            "bench",
            "-f",
            "Bench",
        ]
        for sobject in objects:
            command += ["-o", sobject]
        print(f"- import: {' '.join(command[-(2 * len(objects) + 4) :])}", flush=True)
        answer = folder / "import.json"
        watch = FirstCallWatch(org)
        calls_before = org.api_calls_used()
        try:
            run = run_command(
                command,
                folder / "import.log",
                name="sfimport import",
                stdout=answer,
                env=env,
                on_start=watch.start,
            )
        finally:
            watch.stop()
            shutil.rmtree(home, ignore_errors=True)
        calls = org.api_calls_used() - calls_before
        report = json.loads(answer.read_text())["run"]
        if report["status"] != "complete":
            raise WorkloadFailed(f"the import ended {report['status']}: {report}")
        held = [
            float(seconds)
            for seconds in re.findall(
                r"write lock held ([0-9.]+) s", (folder / "import.log").read_text()
            )
        ]
        result = {
            "seconds": run.process_seconds,
            "rows": sum(int(d["rows"]) for d in report["datasets"]),
            "publish_lock_seconds": sum(held) if held else None,
            "api_calls": calls,
            "first_api_call_seconds": watch.first_call_seconds,
            "status": report["status"],
        }
        print(f"  done in {run.process_seconds:.1f}s", flush=True)
        return Measured(result, run.peak_rss_mb, run.cpu_seconds, run.process_seconds)

    def floor(self, org: RunningEmulator, sobject: str) -> Measured:
        """The independent floor (``floor.py``), timed as a whole process like the import."""
        self._serial += 1
        folder = self.scratch / f"{self._serial:02d}-floor"
        folder.mkdir(parents=True, exist_ok=True)
        result_path = folder / "floor-result.json"
        token = org.tokens()["access_token"]
        print(f"- floor ({sobject})", flush=True)
        command = [sys.executable, str(FLOOR), org.base_url, token, sobject, str(result_path)]
        calls_before = org.api_calls_used()
        run = run_command(command, folder / "floor.log", name="floor")
        result = {
            **json.loads(result_path.read_text()),
            "seconds": run.process_seconds,
            "api_calls": org.api_calls_used() - calls_before,
        }
        print(f"  done in {run.process_seconds:.1f}s", flush=True)
        return Measured(result, run.peak_rss_mb, run.cpu_seconds, run.process_seconds)


class FirstCallWatch:
    """Seconds from a process's start until the org counts its first API call, seen by polling
    the emulator's counter every few milliseconds (the poll's own reads are not counted)."""

    def __init__(self, org: RunningEmulator) -> None:
        self._org = org
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.first_call_seconds: float | None = None

    def start(self, started: float) -> None:
        baseline = self._org.api_calls_used()

        def poll() -> None:
            while not self._stop.is_set():
                if self._org.api_calls_used() > baseline:
                    self.first_call_seconds = time.perf_counter() - started
                    return
                time.sleep(0.005)

        self._thread = threading.Thread(target=poll, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _rates(runs: list[Measured]) -> list[float]:
    return [run.result["rows"] / run.result["seconds"] for run in runs]


def throughput(bench: Bench, org: RunningEmulator) -> None:
    """Import, floor and naive baseline, interleaved run by run so drift hits all three."""
    rows = bench.arguments.rows
    skip_naive = "naive" in bench.arguments.skip
    imports, floors, naives = [], [], []
    for _ in range(bench.arguments.repeat):
        imports.append(bench.cli_import(org, [LARGE_OBJECT]))
        floors.append(bench.floor(org, LARGE_OBJECT))
        if not skip_naive:
            naives.append(bench.workload("naive", org, [LARGE_OBJECT]))
    columns = floors[0].result["columns"]
    subject = f"{LARGE_OBJECT}, {rows:,} rows x {columns} columns"
    bench.details["import"] = [run.result for run in imports]
    bench.details["floor"] = [run.result for run in floors]
    bench.details["naive"] = [run.result for run in naives]
    bench.add(
        measured(
            "import.rows_per_second",
            f"`sfimport import` as a whole process (start-up, plan, run into My Data), {subject}",
            _rates(imports),
            "rows/s",
        )
    )
    bench.add(
        measured(
            "import.seconds", "full import wall time", [i.result["seconds"] for i in imports], "s"
        )
    )
    holds = [i.result["publish_lock_seconds"] for i in imports]
    if None not in holds:
        bench.add(
            measured(
                "publish.lock_seconds",
                "publish: My Data's write lock held (open, swap, commit, close; from the log)",
                holds,
                "s",
            )
        )
        bench.add(
            measured(
                "publish.lock_seconds_per_million_rows",
                "publish: write lock held per million rows published",
                [h / i.result["rows"] * 1e6 for h, i in zip(holds, imports, strict=True)],
                "s",
            )
        )
    first_calls = [i.result["first_api_call_seconds"] for i in imports]
    if None not in first_calls:
        bench.add(
            measured(
                "import.first_api_call_seconds",
                "from the import process's start to the org counting its first API call",
                first_calls,
                "s",
            )
        )
    bench.add(
        measured(
            "import.cpu_seconds",
            "importer process CPU time (user + system, all threads)",
            [i.cpu_seconds for i in imports],
            "s",
        )
    )
    bench.add(
        measured(
            "import.peak_rss_mb",
            "importer process peak RSS (wait4 ru_maxrss)",
            [i.peak_rss_mb for i in imports],
            "MB",
        )
    )
    bench.add(
        measured(
            "import.api_calls",
            "API calls of the full import (org's counter)",
            [i.result["api_calls"] for i in imports],
            "calls",
        )
    )
    bench.add(
        measured(
            "floor.rows_per_second",
            "floor (benchmarks/floor.py, no product code: urllib + zlib + pyarrow.csv) as a"
            " whole process: one Bulk 2.0 job, every page downloaded and parsed, nothing kept,"
            f" {subject}",
            _rates(floors),
            "rows/s",
        )
    )
    bench.add(
        measured(
            "floor.peak_rss_mb", "floor process peak RSS", [f.peak_rss_mb for f in floors], "MB"
        )
    )
    bench.add(
        measured(
            "floor.cpu_seconds", "floor process CPU time", [f.cpu_seconds for f in floors], "s"
        )
    )
    import_rate = bench.figures["import.rows_per_second"].value
    bench.add(
        derived(
            "import.share_of_floor",
            "import rows/s divided by floor rows/s (medians of interleaved runs)",
            ratio(import_rate, bench.figures["floor.rows_per_second"].value),
            "x",
        )
    )
    bench.add(
        measured(
            "memory.peak_rss_mb",
            f"importer peak RSS at {rows:,} rows",
            [i.peak_rss_mb for i in imports],
            "MB",
        )
    )
    if skip_naive:
        return
    bench.add(
        measured(
            "naive.rows_per_second",
            "naive baseline: REST query pages -> Python dicts -> pandas DataFrame -> DuckDB table,"
            f" {subject}",
            _rates(naives),
            "rows/s",
        )
    )
    bench.add(
        measured(
            "naive.peak_rss_mb", "naive process peak RSS", [n.peak_rss_mb for n in naives], "MB"
        )
    )
    bench.add(
        measured(
            "naive.api_calls",
            "API calls of the naive baseline",
            [n.result["api_calls"] for n in naives],
            "calls",
        )
    )
    bench.add(
        derived(
            "import.times_naive",
            "import rows/s divided by naive rows/s (medians)",
            ratio(import_rate, bench.figures["naive.rows_per_second"].value),
            "x",
        )
    )


def profile(bench: Bench, org: RunningEmulator) -> None:
    """One import sampled by py-spy (idle included): where the wall time goes, per stage."""
    raw = bench.scratch / "import-profile.txt"
    run = bench.workload("import", org, [LARGE_OBJECT], prefix=py_spy_command(raw))
    stages = stage_seconds(raw)
    bench.details["profile"] = {"import": run.result, "stage_seconds": stages}
    wall = run.result["seconds"]
    for stage, seconds in stages.items():
        key = "profile." + "_".join(re.findall(r"[a-z]+", stage.lower())[:3])
        bench.add(
            derived(key, f"profiled import ({wall:.1f}s under py-spy): {stage}", seconds, "s")
        )


def refresh(bench: Bench, org: RunningEmulator) -> None:
    rows = bench.arguments.rows
    runs = [
        bench.workload("refresh", org, [LARGE_OBJECT], changed_share=CHANGED_SHARE)
        for _ in range(bench.arguments.repeat)
    ]
    bench.details["refresh"] = [run.result for run in runs]
    changed = runs[0].result["changed_rows"]
    what = f"refresh of {LARGE_OBJECT} ({rows:,} rows) after {changed:,} rows changed in the org"
    seconds = [r.result["seconds"] for r in runs]
    calls = [r.result["api_calls"] for r in runs]
    full_seconds = [r.result["full"]["seconds"] for r in runs]
    full_calls = [r.result["full"]["api_calls"] for r in runs]
    landed = min(r.result["changes_landed"] for r in runs)
    note = "" if landed == changed else f"only {landed:,} of {changed:,} changes landed"
    bench.add(measured("refresh.seconds", what + ", wall time", seconds, "s", note))
    bench.add(measured("refresh.api_calls", what + ", API calls", calls, "calls"))
    bench.add(
        measured("refresh.full_seconds", "the full import before it, wall time", full_seconds, "s")
    )
    bench.add(
        measured(
            "refresh.full_api_calls", "the full import before it, API calls", full_calls, "calls"
        )
    )
    shares = [s / f for s, f in zip(seconds, full_seconds, strict=True)]
    call_shares = [c / f for c, f in zip(calls, full_calls, strict=True) if f]
    bench.add(measured("refresh.time_share", "refresh time / full import time", shares, "x"))
    bench.add(
        measured(
            "refresh.api_call_share", "refresh API calls / full import API calls", call_shares, "x"
        )
    )


def memory(bench: Bench, org: RunningEmulator) -> None:
    rows = bench.arguments.rows * bench.arguments.memory_factor
    runs = [bench.cli_import(org, [LARGE_OBJECT]) for _ in range(bench.arguments.repeat)]
    bench.details["memory"] = [run.result for run in runs]
    bench.add(
        measured(
            "memory.peak_rss_mb_3x",
            f"importer peak RSS at {rows:,} rows ({bench.arguments.memory_factor}x)",
            [r.peak_rss_mb for r in runs],
            "MB",
        )
    )
    bench.add(
        measured(
            "memory.rows_per_second_3x",
            f"full import rows/s at {rows:,} rows",
            _rates(runs),
            "rows/s",
        )
    )
    bench.add(
        derived(
            "memory.growth",
            f"peak RSS at {bench.arguments.memory_factor}x rows / at 1x rows",
            ratio(
                bench.figures["memory.peak_rss_mb_3x"].value,
                bench.figures["memory.peak_rss_mb"].value,
            ),
            "x",
        )
    )


def api_calls(bench: Bench, org: RunningEmulator) -> None:
    run = bench.workload("import", org, list(TEN_OBJECTS))
    bench.details["ten_objects"] = run.result
    rows = run.result["rows"]
    what = f"full import of ten objects ({rows:,} rows in all)"
    bench.add(
        derived(
            "api_calls.ten_objects",
            what + ": API calls used (org's counter, plan included)",
            run.result["api_calls"],
            "calls",
        )
    )
    bench.add(
        derived(
            "api_calls.ten_objects_estimate",
            "the review's estimate for the same import",
            run.result["estimated_api_calls"],
            "calls",
        )
    )
    bench.add(
        derived("api_calls.ten_objects_seconds", what + ": wall time", run.result["seconds"], "s")
    )


def report(bench: Bench, org: RunningEmulator) -> None:
    what = f"a {REPORT_ROWS:,}-row report imported completely"
    try:
        runs = [
            bench.workload("report", org, [], report=REPORT_NAME, allow_incomplete=True)
            for _ in range(bench.arguments.repeat)
        ]
    except WorkloadFailed as failure:
        reason = str(failure).strip().splitlines()[-1][:160]
        bench.add(not_measured("report.seconds", what + ", wall time", "s", reason))
        bench.add(not_measured("report.api_calls", what + ", API calls", "calls", reason))
        return
    bench.details["report"] = [run.result for run in runs]
    rows = runs[0].result["rows"]
    what = f"the {REPORT_NAME!r} report ({rows:,} rows) imported"
    gaps = runs[0].result["incomplete"]
    note = f"incomplete: {gaps[0]['reason']}" if gaps else "complete"
    bench.add(
        measured(
            "report.seconds", what + ", wall time", [r.result["seconds"] for r in runs], "s", note
        )
    )
    bench.add(
        measured(
            "report.api_calls", what + ", API calls", [r.result["api_calls"] for r in runs], "calls"
        )
    )
    bench.add(
        measured("report.rows", what + ", rows imported", [r.result["rows"] for r in runs], "rows")
    )


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    scratch = Path(tempfile.mkdtemp(prefix="sfimport-bench-"))
    bench = Bench(arguments, scratch)
    started = time.perf_counter()
    skip = set(arguments.skip)
    scales: dict[str, dict[str, int]] = {"large": {LARGE_OBJECT: arguments.rows}}
    if "memory" not in skip:
        scales["memory"] = {LARGE_OBJECT: arguments.rows * arguments.memory_factor}
    if not {"api-calls", "report"} <= skip:
        scales["ten-objects"] = {} if arguments.quick else TEN_OBJECT_SCALE
    try:
        print(f"starting {len(scales)} emulator processes: {scales}", flush=True)
        with emulator_processes(scales, scratch) as orgs:
            bench.details["emulator_startup_seconds"] = {
                name: org.startup_seconds for name, org in orgs.items()
            }
            throughput(bench, orgs["large"])
            if arguments.profile:
                profile(bench, orgs["large"])
            if "memory" not in skip:
                memory(bench, orgs["memory"])
            if "api-calls" not in skip:
                api_calls(bench, orgs["ten-objects"])
            if "report" not in skip:
                report(bench, orgs["ten-objects"])
            if "refresh" not in skip:
                # Last on its org: it changes records.
                refresh(bench, orgs["large"])
            if "refresh-cases" not in skip and (arguments.refresh_cases or not arguments.quick):
                # 1% refresh, formula refresh, history mode (see refresh_cases.py).
                refresh_cases.add_figures(bench, orgs["large"], LARGE_OBJECT, CHANGED_SHARE)
    finally:
        if not arguments.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"scratch kept in {scratch}")
    targets = check_targets(bench.figures)
    settings = {
        "rows": arguments.rows,
        "repeat": arguments.repeat,
        "memory_factor": arguments.memory_factor,
        "quick": arguments.quick,
        "skip": sorted(skip),
        "command": " ".join([Path(sys.argv[0]).name, *argv]),
        "elapsed_seconds": time.perf_counter() - started,
    }
    header = (
        f"sfimport benchmarks: {arguments.rows:,} rows, median of {arguments.repeat} run(s),"
        f" {core_count()} cores (emulator and importer share them)"
    )
    print()
    print(render_table(bench.figures, targets, header))
    path = write_json(arguments.results_dir, bench.figures, targets, settings, bench.details)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
