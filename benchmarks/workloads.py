"""The measured workloads, each run alone in a child process by `measured_process`:

- ``prepare``: only connect a fresh data folder to the org (for the CLI import that follows,
  timed as a whole process by ``run.py``).
- ``import``: a full import through the product's front door (Workspace: plan, then run).
- ``refresh``: a full import, then 1% of the rows changed in the org, then a refresh.
- ``floor``: (in-process, kept for comparison) the product's own HTTP client reading the pages;
  the floor the benchmark judges by is ``floor.py``, which shares no code with the product.
- ``naive``: what scripts usually do: REST query pages -> Python dicts -> pandas -> DuckDB.
- ``report``: a whole report imported through the product's front door.

Usage: ``python workloads.py KIND CONFIG.json RESULT.json``. Each workload times its own work
(connection set-up excluded) and counts API calls with the org's own counter.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2

API_VERSION = "62.0"
FOLDER = "Bench"


def _calls_used(base_url: str) -> int:
    state = httpx2.get(f"{base_url}/__emulator__/state", timeout=30).json()
    return int(state["api_requests"]["used"])


def _workspace(config: dict[str, Any]) -> Any:
    from sfimport.app.workspace import Workspace
    from sfimport.settings import Settings

    base_url = config["base_url"]
    settings = Settings(
        home=Path(config["home"]),
        production_login_url=base_url,
        client_id=config["client_id"],
        client_secret=config["client_secret"],
    )
    workspace = Workspace(settings)
    workspace.connect_with_refresh_token("bench", config["refresh_token"], login_url=base_url)
    return workspace


def _full_import(workspace: Any, config: dict[str, Any]) -> dict[str, Any]:
    from sfimport.extract.spec import ImportSpec, ObjectChoice

    base_url = config["base_url"]
    spec = ImportSpec(
        connection="bench",
        folder=FOLDER,
        objects=tuple(ObjectChoice(name) for name in config["objects"]),
        reports=tuple(config.get("reports", ())),
    )
    calls_before = _calls_used(base_url)
    started = time.perf_counter()
    plan = workspace.build_plan(spec)
    planned = time.perf_counter()
    result = workspace.run_import(plan)
    ended = time.perf_counter()
    calls = _calls_used(base_url) - calls_before
    incomplete = [d for d in result.run.datasets if d.status != "complete"]
    if result.status != "complete" and not config.get("allow_incomplete"):
        raise RuntimeError(f"the import ended {result.status}: {result.run}")
    datasets = workspace.list_datasets(FOLDER)
    return {
        "status": result.status,
        "incomplete": [
            {
                "name": d.name,
                "rows": d.rows,
                "expected": d.rows_expected,
                "reason": d.incomplete_reason,
            }
            for d in incomplete
        ],
        "seconds": ended - started,
        "plan_seconds": planned - started,
        "run_seconds": ended - planned,
        "rows": sum(d.row_count for d in datasets),
        "columns": max((len(d.columns) for d in datasets), default=0),
        "api_calls": calls,
        "estimated_api_calls": plan.api_calls_total,
        "datasets": [
            {"name": p.name, "method": p.method, "rows": p.expected_rows, "estimate": p.api_calls}
            for p in plan.datasets
        ],
    }


def run_prepare(config: dict[str, Any]) -> dict[str, Any]:
    with _workspace(config):
        return {"connected": "bench"}


def run_import(config: dict[str, Any]) -> dict[str, Any]:
    with _workspace(config) as workspace:
        return _full_import(workspace, config)


def run_report(config: dict[str, Any]) -> dict[str, Any]:
    with _workspace(config) as workspace:
        found = workspace.list_reports("bench")
        wanted = config["report"]
        report = next((r for r in found if wanted in (r.name, r.developer_name, r.id)), None)
        if report is None:
            raise RuntimeError(f"the org has no report {wanted!r}")
        figures = _full_import(workspace, {**config, "objects": [], "reports": [report.id]})
        return {**figures, "report": report.name}


def run_refresh(config: dict[str, Any]) -> dict[str, Any]:
    base_url = config["base_url"]
    sobject = config["objects"][0]
    with _workspace(config) as workspace:
        full = _full_import(workspace, config)
        changed = max(1, round(full["rows"] * config["changed_share"]))
        # Spread the changed rows over the table rather than taking its first ones.
        ids = workspace.query(
            f'SELECT "Id" FROM "{FOLDER}"."{sobject}" ORDER BY hash("Id") LIMIT {changed}',
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
        calls_before = _calls_used(base_url)
        started = time.perf_counter()
        result = workspace.refresh([f"{FOLDER}.{sobject}"])
        seconds = time.perf_counter() - started
        calls = _calls_used(base_url) - calls_before
        if result.status != "complete":
            raise RuntimeError(f"the refresh ended {result.status}: {result.run}")
        landed = workspace.query(
            f'SELECT count(*) FROM "{FOLDER}"."{sobject}" WHERE "Description" LIKE \'{marker}%\''
        ).rows[0][0]
        rows_after = workspace.get_dataset(f"{FOLDER}.{sobject}").row_count
    return {
        "full": full,
        "changed_rows": len(edits),
        "changes_landed": int(landed),
        "rows_after": rows_after,
        "seconds": seconds,
        "api_calls": calls,
        "dataset_rows_read": [d.rows for d in result.run.datasets],
    }


def _describe_schema(client: httpx2.Client, sobject: str) -> tuple[Any, str]:
    """The product's own column choice and Arrow schema, so both sides read the same columns."""
    from sfimport.extract.cursor import select_soql
    from sfimport.extract.schema import FieldSpec, arrow_schema, select_fields

    described = client.get(f"/services/data/v{API_VERSION}/sobjects/{sobject}/describe").json()
    selection = select_fields([FieldSpec.from_describe(f) for f in described["fields"]])
    schema = arrow_schema(selection.fields)
    return schema, select_soql(sobject, schema.names, None, None)


def _api_client(config: dict[str, Any]) -> httpx2.Client:
    return httpx2.Client(
        base_url=config["base_url"],
        headers={"Authorization": f"Bearer {config['access_token']}"},
        timeout=600,
    )


def run_floor(config: dict[str, Any]) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from sfimport.extract.budget import BULK_PAGE_ROWS

    sobject = config["objects"][0]
    with _api_client(config) as client:
        schema, soql = _describe_schema(client, sobject)
        convert = pcsv.ConvertOptions(
            # Arrow's CSV reader parses no "10:20:30.000Z" time; such columns stay text here.
            column_types={
                f.name: pa.string() if pa.types.is_time(f.type) else f.type for f in schema
            },
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            true_values=["true"],
            false_values=["false"],
        )
        parse = pcsv.ParseOptions(newlines_in_values=True)
        jobs = f"/services/data/v{API_VERSION}/jobs/query"
        calls_before = _calls_used(config["base_url"])
        started = time.perf_counter()
        job = client.post(
            jobs,
            json={"operation": "query", "query": soql, "contentType": "CSV", "lineEnding": "LF"},
        ).json()
        while job["state"] not in ("JobComplete", "Failed", "Aborted"):
            time.sleep(0.05)
            job = client.get(f"{jobs}/{job['id']}").json()
        if job["state"] != "JobComplete":
            raise RuntimeError(f"the Bulk job ended {job['state']}")
        rows = pages = 0
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": BULK_PAGE_ROWS}
            if locator:
                params["locator"] = locator
            page = client.get(f"{jobs}/{job['id']}/results", params=params)
            page.raise_for_status()
            table = pcsv.read_csv(
                pa.BufferReader(page.content), parse_options=parse, convert_options=convert
            )
            rows += table.num_rows
            pages += 1
            locator = page.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                break
        seconds = time.perf_counter() - started
        calls = _calls_used(config["base_url"]) - calls_before
    return {"seconds": seconds, "rows": rows, "pages": pages, "api_calls": calls}


def run_naive(config: dict[str, Any]) -> dict[str, Any]:
    import duckdb
    import pandas as pd  # type: ignore[import-untyped]

    sobject = config["objects"][0]
    with _api_client(config) as client:
        _, soql = _describe_schema(client, sobject)
        calls_before = _calls_used(config["base_url"])
        started = time.perf_counter()
        records: list[dict[str, Any]] = []
        answer = client.get(f"/services/data/v{API_VERSION}/query", params={"q": soql}).json()
        pages = 1
        while True:
            for record in answer["records"]:
                record.pop("attributes", None)
                records.append(record)
            if answer["done"]:
                break
            answer = client.get(answer["nextRecordsUrl"]).json()
            pages += 1
        frame = pd.DataFrame.from_records(records)
        connection = duckdb.connect(str(Path(config["home"]) / "naive.duckdb"))
        connection.register("frame", frame)
        connection.execute(f'CREATE TABLE "{sobject}" AS SELECT * FROM frame')
        row = connection.execute(f'SELECT count(*) FROM "{sobject}"').fetchone()
        connection.close()
        seconds = time.perf_counter() - started
        calls = _calls_used(config["base_url"]) - calls_before
    return {
        "seconds": seconds,
        "rows": int(row[0]) if row else 0,
        "pages": pages,
        "api_calls": calls,
    }


KINDS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "prepare": run_prepare,
    "import": run_import,
    "refresh": run_refresh,
    "floor": run_floor,
    "naive": run_naive,
    "report": run_report,
    "refresh-cases": lambda config: __import__("refresh_cases").run(config),
}


def main(argv: list[str]) -> int:
    kind, config_path, result_path = argv
    config = json.loads(Path(config_path).read_text())
    Path(config["home"]).mkdir(parents=True, exist_ok=True)
    result = KINDS[kind](config)
    Path(result_path).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
