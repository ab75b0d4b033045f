"""The routes of the org's services beyond REST (Bulk API 2.0, Reports API, fault control) and
the fault-injection wrapper, in the order `create_emulator` mounts them."""

from __future__ import annotations

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from sfimport.emulator.org import Org
from sfimport.emulator.routes_bulk import bulk_routes
from sfimport.emulator.routes_faults import FaultInjection, fault_routes
from sfimport.emulator.routes_reports import report_routes
from sfimport.emulator.services import services_for


def service_routes(org: Org) -> list[BaseRoute]:
    """Mounted before the REST router, whose catch-all would otherwise answer these paths."""
    return [
        *fault_routes(org),
        *bulk_routes(org, services_for(org).bulk),
        *report_routes(org, services_for(org).report_instances),
    ]


def with_faults(app: ASGIApp, org: Org) -> ASGIApp:
    return FaultInjection(app, org)
