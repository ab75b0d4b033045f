"""Asynchronous report runs: POST .../instances answers New, the instance is Running while
the configured run delay lasts, then Success with the synchronous body plus ReportInstance
attributes; Error instances, listing, deleting and unknown ids."""

from __future__ import annotations

from sfimport.emulator.reports import DEMO_REPORTS
from sfimport.emulator.services import services_for
from tests.emulator.conftest import Http, V, error_of, fresh_org

PIPELINE = next(d for d in DEMO_REPORTS if d.name == "Pipeline by Stage")
ROOT = f"{V}/analytics/reports/{PIPELINE.id}"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _org_with_delay(seconds: float, fail_next: int = 0) -> tuple[Http, str, FakeClock]:
    org = fresh_org()
    clock = FakeClock()
    # The run delay is measured on a clock the test moves: no real waiting, no timing margin.
    services_for(org).report_instances.monotonic = clock
    http = Http(org)
    answer = http.post(
        "/__emulator__/reports", json={"run_delay_seconds": seconds, "fail_next": fail_next}
    )
    assert answer.status_code == 200, answer.text
    return http, http.token(), clock


def test_an_instance_runs_then_answers_the_synchronous_body() -> None:
    http, token, clock = _org_with_delay(60.0)
    created = http.post(f"{ROOT}/instances?includeDetails=true", token=token)
    assert created.status_code == 200
    instance = created.json()
    assert instance["status"] == "New" and instance["id"].startswith("0LG")
    assert instance["url"] == f"{ROOT}/instances/{instance['id']}"
    assert instance["completionDate"] is None and instance["requestDate"].endswith("Z")
    clock.now += 30
    running = http.get(f"{ROOT}/instances/{instance['id']}", token=token).json()
    assert running["attributes"]["status"] == "Running"
    assert running["attributes"]["type"] == "ReportInstance" and "factMap" not in running
    clock.now += 31
    done = http.get(f"{ROOT}/instances/{instance['id']}", token=token).json()
    assert done["attributes"]["status"] == "Success"
    assert done["attributes"]["reportId"] == PIPELINE.id
    assert done["attributes"]["completionDate"].endswith("Z")
    sync = http.get(f"{ROOT}?includeDetails=true", token=token).json()
    assert done["factMap"] == sync["factMap"] and done["allData"] == sync["allData"]
    listed = http.get(f"{ROOT}/instances", token=token).json()
    assert [i["id"] for i in listed] == [instance["id"]]
    assert listed[0]["status"] == "Success"
    deleted = http.request("DELETE", f"{ROOT}/instances/{instance['id']}", token=token)
    assert deleted.status_code == 204
    assert http.get(f"{ROOT}/instances", token=token).json() == []


def test_an_instance_can_end_in_error_and_unknown_ids_are_not_found() -> None:
    http, token, _ = _org_with_delay(0.0, fail_next=1)
    instance = http.post(f"{ROOT}/instances", token=token).json()
    failed = http.get(f"{ROOT}/instances/{instance['id']}", token=token).json()
    assert failed["attributes"]["status"] == "Error" and "factMap" not in failed
    status, code, _ = error_of(http.get(f"{ROOT}/instances/0LG000000000000AAA", token=token))
    assert (status, code) == (404, "NOT_FOUND")


def test_instance_overrides_filter_the_run() -> None:
    http, token, _ = _org_with_delay(0.0)
    metadata = {"reportFilters": [{"column": "STAGE_NAME", "operator": "equals", "value": "x"}]}
    instance = http.post(
        f"{ROOT}/instances?includeDetails=true", token=token, json={"reportMetadata": metadata}
    ).json()
    done = http.get(f"{ROOT}/instances/{instance['id']}", token=token).json()
    assert done["attributes"]["status"] == "Success"
    assert done["factMap"]["T!T"]["aggregates"][0]["value"] == 0
