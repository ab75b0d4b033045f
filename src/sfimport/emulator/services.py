"""The services one emulated org carries beyond part 1's model: Bulk jobs, asynchronous report
instances, response faults and removed fields. Kept per org (weakly), so that every app built
for the org shares them."""

from __future__ import annotations

from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from sfimport.emulator.bulk import BulkJobs
from sfimport.emulator.faults import RemovedFields, ResponseFaults
from sfimport.emulator.org import Org
from sfimport.emulator.report_instances import ReportInstances


@dataclass
class OrgServices:
    bulk: BulkJobs
    report_instances: ReportInstances
    faults: ResponseFaults = field(default_factory=ResponseFaults)
    removed_fields: RemovedFields = field(default_factory=RemovedFields)


_SERVICES: WeakKeyDictionary[Org, OrgServices] = WeakKeyDictionary()


def services_for(org: Org) -> OrgServices:
    """The org's Bulk jobs and fault state, created on first use."""
    found = _SERVICES.get(org)
    if found is None:
        found = OrgServices(BulkJobs(org), ReportInstances(org))
        _SERVICES[org] = found
    return found
