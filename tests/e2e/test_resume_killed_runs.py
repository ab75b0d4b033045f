"""A run killed at random points always resumes to an exact copy of the org.

The kill is simulated in-process, many times: at a random step (an HTTP call before it is sent
or after Salesforce answered, a page being recorded, a publish before or after it commits)
every thread of the run stops dead with an exception no code of the product catches, as if
the process had been killed. A new Workspace on the same data folder then finds the run
abandoned and resumes it. tests/e2e/test_killed_import.py does the same with a real SIGKILL.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2
import pytest

from sfimport.app.workspace import Workspace
from sfimport.extract.plan import ImportPlan
from sfimport.extract.resume import PageStaging
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.store.mydata import MyData
from tests.e2e.refresh_org import LiveOrg, assert_exact_copy, live_org
from tests.e2e.staged import staged_rows

ITERATIONS = 15


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the product catches it."""


class KillSwitch:
    """Counts steps of a run and kills it at step ``at``; once killed, every step dies."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.steps = 0
        self.killed = False
        self._lock = threading.Lock()

    def step(self) -> None:
        with self._lock:
            self.steps += 1
            if self.killed or self.steps == self.at:
                self.killed = True
                raise Killed(f"killed at step {self.steps}")


class KillingTransport(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport, switch: list[KillSwitch]) -> None:
        self._inner = inner
        self._switch = switch

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if not self._switch:
            return self._inner.handle_request(request)
        self._switch[0].step()  # before the call reaches Salesforce
        response = self._inner.handle_request(request)
        response.read()
        try:
            self._switch[0].step()  # after Salesforce did the work, before we see the answer
        except Killed:
            response.close()
            raise
        return response

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 60, "Contact": 2300}) as org:
        org.control("bulk", {"delay_seconds": 0, "default_page_rows": 600})
        yield org


def kill_hooks(monkeypatch: pytest.MonkeyPatch, armed: list[KillSwitch]) -> None:
    """Steps around recording a page (and inside it, around its commit in My Data) and around
    publishing (before and after the commit)."""

    def around(cls: type, name: str) -> None:
        original = getattr(cls, name)

        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            if armed:
                armed[0].step()
            result = original(self, *args, **kwargs)
            if armed:
                armed[0].step()
            return result

        monkeypatch.setattr(cls, name, wrapped)

    around(PageStaging, "end_page")
    # After a page's rows and checkpoint commit in My Data, before run history saves it.
    around(MyData, "append_staged")
    around(MyData, "publish")
    around(MyData, "merge")


def mutate(live: LiveOrg, rng: random.Random) -> None:
    for sobject in ("Contact", "Account"):
        ids = sorted(live.live_rows(sobject))
        changed = rng.sample(ids, rng.randint(1, 40))
        deleted = rng.sample([i for i in ids if i not in changed], rng.randint(0, 15))
        live.control(
            f"records/{sobject}",
            {
                "insert": [
                    {"LastName" if sobject == "Contact" else "Name": f"N{rng.random()}"}
                    for _ in range(rng.randint(0, 30))
                ],
                "update": [{"Id": i, "Description": f"v{rng.random()}"} for i in changed],
                "delete": deleted,
            },
        )
    live.advance(90)


def test_a_run_killed_at_random_points_always_resumes_to_an_exact_copy(
    live: LiveOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    armed: list[KillSwitch] = []
    kill_hooks(monkeypatch, armed)

    first = Workspace(
        live.settings(),
        transport=KillingTransport(httpx2.HTTPTransport(), armed),
        clock=live.org.clock.now,
        sleep=lambda s: None,
    )
    live.connect(first)
    spec = ImportSpec(
        connection="demo",
        folder="Sales",
        objects=(ObjectChoice("Account"), ObjectChoice("Contact")),
    )
    assert first.run_import(first.build_plan(spec)).status == "complete"
    first.close()
    rng = random.Random(20260105)
    kills = 0
    for iteration in range(ITERATIONS):
        mutate(live, rng)
        doomed = Workspace(
            live.settings(),
            transport=KillingTransport(httpx2.HTTPTransport(), armed),
            clock=live.org.clock.now,
            sleep=lambda s: None,
        )
        plan: ImportPlan
        if iteration % 3 == 2:
            # A whole re-import, Contact through Bulk (pages of 600 rows, a job to resume).
            plan = doomed.build_plan(spec)
            bulk = tuple(
                replace(d, method="bulk") if d.name == "Contact" else d for d in plan.datasets
            )
            plan = replace(plan, datasets=bulk)
        else:
            (plan,) = doomed.plan_refreshes(["Sales.Account", "Sales.Contact"])
        armed.append(KillSwitch(at=rng.randint(1, 28)))
        try:
            doomed.run_import(plan)
        except Killed:
            kills += 1
        finally:
            armed.clear()
            doomed.close()

        revived = live.workspace()
        try:
            for run_id in revived.resume_waiting_runs():
                assert revived.wait(run_id, timeout=60).status == "complete", iteration
            latest = revived.list_runs(limit=1)[0]
            assert latest.status == "complete", (iteration, latest)
            assert_exact_copy(live, revived, "Contact", '"Sales"."Contact"')
            assert_exact_copy(live, revived, "Account", '"Sales"."Account"')
            assert staged_rows(live.home) == 0, iteration
        finally:
            revived.close()
    assert kills >= ITERATIONS // 2, "most iterations should really have been killed"
