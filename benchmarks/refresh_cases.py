"""The refresh cases of `make bench` beside a full import: a 1% refresh, a formula refresh
(Id plus the formula columns of every row), and a 1% refresh in history mode with what history
mode adds on disk.

One child process (``workloads.py refresh-cases``) imports the large object once, then times
each case on the same data folder, in this order:

1. ``refresh``: 1% of the rows changed in the org, then a refresh (changes only; formulas are
   not due: the import read them);
2. ``formulas``: the formula schedule set to "always", a refresh with nothing else changed,
   so its time is the formula pass;
3. ``history``: history mode turned on (its first versions written), 1% changed again, then a
   refresh that also writes versions; My Data's file size before and after.

``add_figures`` turns the child's result into figures next to the rest of `make bench`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2

FOLDER = "Bench"


def _change(workspace: Any, base_url: str, sobject: str, share: float, rows: int) -> int:
    """Change ``share`` of the data set's rows in the org (spread by hash of Id)."""
    changed = max(1, round(rows * share))
    ids = workspace.query(
        f'SELECT "Id" FROM "{FOLDER}"."{sobject}" ORDER BY hash("Id" || $$'
        f"{time.time_ns()}$$) LIMIT {changed}",
        limit=changed,
    ).rows
    marker = f"bench-change-{time.time_ns()}"
    edits = [{"Id": row[0], "Description": f"{marker} {i}"} for i, row in enumerate(ids)]
    response = httpx2.post(
        f"{base_url}/__emulator__/records/{sobject}",
        json={"object": sobject, "update": edits},
        timeout=300,
    )
    response.raise_for_status()
    # Past the second the changes were stamped with, so the refresh's window holds them.
    time.sleep(1.0)
    return len(edits)


def _timed_refresh(workspace: Any, base_url: str, sobject: str) -> dict[str, Any]:
    from workloads import _calls_used  # the org's own API call counter

    before = _calls_used(base_url)
    started = time.perf_counter()
    result = workspace.refresh([f"{FOLDER}.{sobject}"])
    seconds = time.perf_counter() - started
    if result.status != "complete":
        raise RuntimeError(f"the refresh ended {result.status}: {result.run}")
    (dataset,) = result.run.datasets
    return {
        "seconds": seconds,
        "api_calls": _calls_used(base_url) - before,
        "rows_read": dataset.rows,
        "method": dataset.method,
    }


def run(config: dict[str, Any]) -> dict[str, Any]:
    from workloads import _full_import, _workspace

    base_url = config["base_url"]
    sobject = config["objects"][0]
    share = float(config["changed_share"])
    mydata = Path(config["home"]) / "mydata.duckdb"
    with _workspace(config) as workspace:
        full = _full_import(workspace, config)
        name = f"{FOLDER}.{sobject}"
        changed = _change(workspace, base_url, sobject, share, full["rows"])
        refresh = {**_timed_refresh(workspace, base_url, sobject), "changed_rows": changed}
        workspace.set_formula_schedule(name, "always")
        formulas = {
            **_timed_refresh(workspace, base_url, sobject),
            "formula_columns": [
                c.name for c in workspace.get_dataset(name).columns if c.name.endswith("__c")
            ],
        }
        workspace.set_formula_schedule(name, "default")
        size_before = mydata.stat().st_size
        started = time.perf_counter()
        workspace.set_history_mode(name, True)
        history_on = time.perf_counter() - started
        changed = _change(workspace, base_url, sobject, share, full["rows"])
        history = {
            **_timed_refresh(workspace, base_url, sobject),
            "changed_rows": changed,
            "turn_on_seconds": history_on,
            "mydata_bytes_before": size_before,
            "mydata_bytes_after": mydata.stat().st_size,
        }
    return {"full": full, "refresh": refresh, "formulas": formulas, "history": history}


def add_figures(bench: Any, org: Any, large_object: str, changed_share: float) -> None:
    """Run the cases ``bench.arguments.repeat`` times and add their figures (medians)."""
    from figures import measured

    runs = [
        bench.workload("refresh-cases", org, [large_object], changed_share=changed_share)
        for _ in range(bench.arguments.repeat)
    ]
    results = [r.result for r in runs]
    bench.details["refresh_cases"] = results
    full = [r["full"]["seconds"] for r in results]

    def share(case: str) -> list[float]:
        return [r[case]["seconds"] / f for r, f in zip(results, full, strict=True)]

    rows = results[0]["full"]["rows"]
    changed = results[0]["refresh"]["changed_rows"]
    what = f"{large_object} ({rows:,} rows)"
    bench.add(measured("cases.full_seconds", f"full import of {what}", full, "s"))
    for case, label in (
        ("refresh", f"1% refresh ({changed:,} rows changed)"),
        ("formulas", "formula refresh (Id + formula columns of every row)"),
        ("history", "1% refresh in history mode"),
    ):
        seconds = [r[case]["seconds"] for r in results]
        calls = [r[case]["api_calls"] for r in results]
        method = results[0][case]["method"]
        bench.add(measured(f"cases.{case}_seconds", f"{label} of {what}, {method}", seconds, "s"))
        bench.add(measured(f"cases.{case}_api_calls", f"{label}, API calls", calls, "calls"))
        bench.add(measured(f"cases.{case}_share", f"{label} / full import", share(case), "x"))
    growth = [
        r["history"]["mydata_bytes_after"] / r["history"]["mydata_bytes_before"] for r in results
    ]
    bench.add(measured("cases.history_disk", "My Data size with history on / off", growth, "x"))
    bench.add(
        measured(
            "cases.history_turn_on_seconds",
            "turning history mode on (first versions written)",
            [r["history"]["turn_on_seconds"] for r in results],
            "s",
        )
    )
