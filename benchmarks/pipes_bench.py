"""Pipes kept fresh, measured: after a 1% refresh of a source, how long the chain of three pipes
that reads it takes to rebuild, beside the refresh itself. Figures, not a pass or fail.

The emulator serves the org from a process of its own (see ``emulated_org``); the product runs
in this process through its front door (Workspace). Each round changes 1% of the rows in the
org and refreshes, alternately with no pipes (the refresh alone) and with the chain
``Bench.Account`` -> ``Pipes.Accounts by industry`` (steps) -> ``Pipes.Industry share`` (SQL)
-> ``Pipes.Top industries`` (SQL), which the refresh's publish rebuilds in order. The chain's
time is taken from the pipes' own run records (first start to last finish).

    python benchmarks/pipes_bench.py --rows 100000 --repeat 3
    python benchmarks/pipes_bench.py --quick            # 2,000 rows, one round
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
from emulated_org import emulator_processes

from sfimport.emulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

FOLDER = "Bench"
SOURCE = "Account"
CHANGED_SHARE = 0.01
CHAIN = (
    """\
name = "Accounts by industry"
source = "Bench.Account"

[[steps]]
compute = "Band"
expression = "CASE WHEN NumberOfEmployees >= 1000 THEN 'large' ELSE 'small' END"

[[steps]]
group = ["Industry", "Band"]
aggregates = [
  { function = "count", as = "Accounts" },
  { function = "sum", column = "AnnualRevenue", as = "Revenue" },
]
""",
    """\
name = "Industry share"
sql = '''
SELECT Industry, sum(Accounts) AS Accounts, sum(Accounts) / sum(sum(Accounts)) OVER () AS Share
FROM Pipes."Accounts by industry" GROUP BY Industry
'''
""",
    """\
name = "Top industries"
sql = 'SELECT * FROM Pipes."Industry share" ORDER BY Accounts DESC LIMIT 5'
""",
)


def _change(workspace: Any, base_url: str, share: float) -> int:
    rows = workspace.get_dataset(f"{FOLDER}.{SOURCE}").row_count
    changed = max(1, round(rows * share))
    ids = workspace.query(
        f'SELECT "Id" FROM "{FOLDER}"."{SOURCE}" ORDER BY random() LIMIT {changed}',
        limit=changed,
    ).rows
    marker = f"pipes-bench-{time.time_ns()}"
    edits = [{"Id": row[0], "Description": f"{marker} {i}"} for i, row in enumerate(ids)]
    answer = httpx2.post(
        f"{base_url}/__emulator__/records/{SOURCE}",
        json={"object": SOURCE, "update": edits},
        timeout=300,
    )
    answer.raise_for_status()
    time.sleep(1.0)  # past the second the changes were stamped with
    return len(edits)


def _refresh(workspace: Any) -> tuple[float, str]:
    started = time.perf_counter()
    result = workspace.refresh([f"{FOLDER}.{SOURCE}"])
    seconds = time.perf_counter() - started
    if result.status != "complete":
        raise RuntimeError(f"the refresh ended {result.status}")
    return seconds, str(result.run_id)


def _chain_seconds(workspace: Any, run_id: str) -> float:
    runs = [r for r in workspace.pipe_runs(limit=50) if run_id in r.cause]
    if len(runs) != len(CHAIN) or any(r.error for r in runs):
        raise RuntimeError(f"the chain was not rebuilt once each: {runs}")
    first = min(r.started_at for r in runs)
    last = max(r.finished_at for r in runs)
    return float((last - first).total_seconds())


def measure(base_url: str, tokens: dict[str, Any], home: Path, repeat: int) -> dict[str, Any]:
    from sfimport.app.workspace import Workspace
    from sfimport.extract.spec import ImportSpec, ObjectChoice
    from sfimport.settings import Settings

    settings = Settings(
        home=home,
        production_login_url=base_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    with Workspace(settings) as workspace:
        workspace.connect_with_refresh_token("bench", tokens["refresh_token"], login_url=base_url)
        spec = ImportSpec(connection="bench", folder=FOLDER, objects=(ObjectChoice(SOURCE),))
        started = time.perf_counter()
        workspace.run_import(workspace.build_plan(spec))
        import_seconds = time.perf_counter() - started
        rows = workspace.get_dataset(f"{FOLDER}.{SOURCE}").row_count

        # Rounds alternate without and with the chain, so that drift (a busy machine, a
        # growing table) hits both alike.
        alone, with_chain, chain, refresh_part = [], [], [], []
        for _ in range(repeat):
            _change(workspace, base_url, CHANGED_SHARE)
            alone.append(_refresh(workspace)[0])
            for text in CHAIN:
                workspace.create_pipe(text)
            changed = _change(workspace, base_url, CHANGED_SHARE)
            seconds, run_id = _refresh(workspace)
            rebuilt = _chain_seconds(workspace, run_id)
            with_chain.append(seconds)
            chain.append(rebuilt)
            refresh_part.append(seconds - rebuilt)
            for text in reversed(CHAIN):
                workspace.delete_pipe("Pipes." + text.split('"')[1])
    return {
        "rows": rows,
        "changed_rows": changed,
        "import_seconds": import_seconds,
        "refresh_alone_seconds": alone,
        "refresh_with_chain_seconds": with_chain,
        "chain_rebuild_seconds": chain,
        "refresh_part_seconds": refresh_part,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the source (Account)")
    parser.add_argument("--repeat", type=int, default=3, help="refreshes per figure (median)")
    parser.add_argument("--quick", action="store_true", help="2,000 rows, one round")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args(argv)
    rows, repeat = (2_000, 1) if arguments.quick else (arguments.rows, arguments.repeat)
    with (
        tempfile.TemporaryDirectory(prefix="sfimport-pipes-bench-") as scratch,
        emulator_processes({"pipes": {SOURCE: rows}}, Path(scratch)) as orgs,
    ):
        org = orgs["pipes"]
        figures = measure(org.base_url, org.tokens(), Path(scratch) / "home", repeat)
    median = {k: statistics.median(v) for k, v in figures.items() if isinstance(v, list)}
    lines = [
        f"Pipes after a 1% refresh: {figures['rows']:,} {SOURCE} rows, "
        f"{figures['changed_rows']:,} changed per refresh, median of {repeat}",
        f"  refresh alone (no pipes)            {median['refresh_alone_seconds']:8.2f} s",
        f"  refresh with the chain, in all      {median['refresh_with_chain_seconds']:8.2f} s",
        f"    of which the 3-pipe chain rebuild {median['chain_rebuild_seconds']:8.2f} s",
        f"    of which the refresh itself       {median['refresh_part_seconds']:8.2f} s",
        f"  (the full import before: {figures['import_seconds']:.1f} s)",
    ]
    print("\n".join(lines))
    if arguments.json:
        arguments.json.write_text(json.dumps({"figures": figures, "median": median}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
