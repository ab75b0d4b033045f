"""The web app's view of the services: :mod:`sfimport.app.ports` (kept so imports stay short)."""

from sfimport.app.ports import (
    ConnectionView,
    DatasetView,
    ObjectView,
    RunView,
    ScheduleView,
    WorkspacePort,
)

__all__ = [
    "ConnectionView",
    "DatasetView",
    "ObjectView",
    "RunView",
    "ScheduleView",
    "WorkspacePort",
]
