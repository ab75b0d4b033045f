"""Field counts on Select data: remembered per connection for a while, described in bounds."""

from __future__ import annotations

from pathlib import Path

from sfimport.settings import Settings
from sfimport.web.field_counts import FieldCounts
from tests.web.fake_workspace import OBJECTS, ConnectionInfo, FakeWorkspace


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _workspace(tmp_path: Path) -> FakeWorkspace:
    workspace = FakeWorkspace(Settings(home=tmp_path))
    workspace.connections["org"] = ConnectionInfo("org")
    return workspace


def test_a_count_is_described_again_once_it_is_older_than_its_ttl(tmp_path: Path) -> None:
    workspace, clock = _workspace(tmp_path), Clock()
    counts = FieldCounts(ttl=60, clock=clock)
    lead = [o for o in OBJECTS if o.name == "Lead"]
    assert counts.counts(workspace, "org", lead, describe=True) == {"Lead": 30}
    clock.now = 59
    assert counts.counts(workspace, "org", lead, describe=False) == {"Lead": 30}
    clock.now = 61
    assert counts.counts(workspace, "org", lead, describe=False) == {}
    counts.counts(workspace, "org", lead, describe=True)
    assert workspace.described == ["Lead", "Lead"]


def test_counts_are_kept_per_connection(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    workspace.connections["other"] = ConnectionInfo("other")
    counts = FieldCounts()
    counts.counts(workspace, "org", OBJECTS, describe=True)
    assert counts.counts(workspace, "other", OBJECTS, describe=False) == {}


def test_an_object_that_cannot_be_described_stays_unknown(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    gone = type(OBJECTS[0])("Gone__c", "Gone")
    found = FieldCounts().counts(workspace, "org", [*OBJECTS, gone], describe=True)
    assert found == {"Account": 40, "Contact": 35, "Lead": 30, "Invoice__c": 12}
