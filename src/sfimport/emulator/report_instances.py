"""Asynchronous report runs (``/analytics/reports/{id}/instances``): an instance is ``New`` when
requested, ``Running`` until the org's configured run delay has passed, then ``Success`` with the
same body as a synchronous run plus ``attributes`` of type ``ReportInstance``. Results are kept
until deleted (Salesforce keeps them 24 hours)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sfimport.emulator.errors import SalesforceApiError
from sfimport.emulator.ids import mint_id
from sfimport.emulator.org import Org, User
from sfimport.emulator.report_run import run_report
from sfimport.emulator.reports import definition_of, report_urls, require_run_reports

#: Key prefix of report instance ids (0LG, as in Salesforce's examples).
INSTANCE_PREFIX = "0LG"


@dataclass
class ReportInstanceSettings:
    #: Seconds an asynchronous run stays Running (a slow report in a real org takes minutes).
    run_delay_seconds: float = 0.0
    #: The next this many instances end with status Error.
    fail_next: int = 0


@dataclass
class _Instance:
    id: str
    report_id: str
    owner: User
    overrides: Mapping[str, Any] | None
    details: bool
    requested: datetime
    ready_at: float
    version: str
    polls: int = 0
    failed: bool = False
    result: dict[str, Any] | None = None
    completed: datetime | None = None


@dataclass
class ReportInstances:
    """The instances of one org, with the run delay the control API sets."""

    org: Org
    monotonic: Callable[[], float] = time.monotonic
    settings: ReportInstanceSettings = field(default_factory=ReportInstanceSettings)
    instances: dict[str, _Instance] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 1

    def create(
        self,
        user: User,
        report_id: str,
        overrides: Mapping[str, Any] | None,
        details: bool,
        version: str,
    ) -> dict[str, Any]:
        require_run_reports(self.org, user)
        definition_of(report_id)  # 404 NOT_FOUND for an unknown report
        with self._lock:
            instance = _Instance(
                id=mint_id(INSTANCE_PREFIX, 9_000_000 + self._next),
                report_id=report_id,
                owner=user,
                overrides=overrides,
                details=details,
                requested=self.org.clock.now(),
                ready_at=self.monotonic() + self.settings.run_delay_seconds,
                version=version,
            )
            self._next += 1
            if self.settings.fail_next:
                self.settings.fail_next -= 1
                instance.failed = True
            self.instances[instance.id] = instance
        return self._summary(instance, "New")

    def list(self, user: User, report_id: str) -> list[dict[str, Any]]:
        require_run_reports(self.org, user)
        definition_of(report_id)
        mine = [i for i in self.instances.values() if i.report_id == report_id]
        return [self._summary(i, self._status(i)) for i in sorted(mine, key=lambda i: i.id)]

    def result(self, user: User, report_id: str, instance_id: str) -> dict[str, Any]:
        """The instance's results once it succeeded; its attributes alone before."""
        instance = self._find(user, report_id, instance_id)
        instance.polls += 1
        status = self._status(instance)
        if status == "Success" and instance.result is None:
            instance.result = run_report(
                self.org,
                instance.owner,
                report_id,
                instance.overrides,
                instance.details,
                instance.version,
            )
            instance.completed = self.org.clock.now()
        attributes = self._attributes(instance, status)
        if status != "Success":
            definition = definition_of(report_id)
            return {
                "attributes": attributes,
                "hasDetailRows": instance.details,
                "reportMetadata": {"id": definition.id, "name": definition.name},
            }
        assert instance.result is not None
        return {**instance.result, "attributes": attributes}

    def delete(self, user: User, report_id: str, instance_id: str) -> None:
        instance = self._find(user, report_id, instance_id)
        if self._status(instance) not in {"Success", "Error"}:
            raise SalesforceApiError(
                400, "BAD_REQUEST", "A report instance can be deleted only once it has finished."
            )
        self.instances.pop(instance.id, None)

    def _find(self, user: User, report_id: str, instance_id: str) -> _Instance:
        require_run_reports(self.org, user)
        instance = self.instances.get(instance_id)
        if instance is None or instance.report_id != report_id:
            raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return instance

    def _status(self, instance: _Instance) -> str:
        if instance.result is not None:
            return "Success"
        if self.monotonic() < instance.ready_at:
            return "Running" if instance.polls else "New"
        return "Error" if instance.failed else "Success"

    def _summary(self, instance: _Instance, status: str) -> dict[str, Any]:
        finished = status in {"Success", "Error"}
        return {
            "completionDate": _stamp(instance.completed)
            if finished and instance.completed
            else None,
            "hasDetailRows": instance.details,
            "id": instance.id,
            "ownerId": instance.owner.id,
            "requestDate": _stamp(instance.requested),
            "status": status,
            "url": self._url(instance),
        }

    def _attributes(self, instance: _Instance, status: str) -> dict[str, Any]:
        definition = definition_of(instance.report_id)
        return {
            "completionDate": _stamp(instance.completed) if instance.completed else None,
            "id": instance.id,
            "ownerId": instance.owner.id,
            "reportId": definition.id,
            "reportName": definition.name,
            "requestDate": _stamp(instance.requested),
            "status": status,
            "type": "ReportInstance",
        }

    def _url(self, instance: _Instance) -> str:
        definition = definition_of(instance.report_id)
        return f"{report_urls(definition, instance.version)['instancesUrl']}/{instance.id}"


def _stamp(moment: datetime) -> str:
    # Report instance timestamps use Z, unlike REST records.
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
