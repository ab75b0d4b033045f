"""Field counts on Select data: remembered per connection for a while, described in bounds."""

from __future__ import annotations

from pathlib import Path

from sfimport.app.ports import ObjectEntry
from sfimport.settings import Settings
from sfimport.web.field_counts import FieldCounts
from tests.fakes.services import FakeServices, connection


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _workspace(tmp_path: Path) -> FakeServices:
    workspace = FakeServices(Settings(home=tmp_path))
    workspace.connections["org"] = connection("org", login_url="https://login.example")
    return workspace


def test_a_count_is_described_again_once_it_is_older_than_its_ttl(tmp_path: Path) -> None:
    workspace, clock = _workspace(tmp_path), Clock()
    counts = FieldCounts(ttl=60, clock=clock)
    lead = workspace.list_objects("org", search="Lead")
    assert counts.counts(workspace, "org", lead, describe=True) == {"Lead": 30}
    clock.now = 59
    assert counts.counts(workspace, "org", lead, describe=False) == {"Lead": 30}
    clock.now = 61
    assert counts.counts(workspace, "org", lead, describe=False) == {}
    counts.counts(workspace, "org", lead, describe=True)
    assert workspace.described == ["Lead", "Lead"]


def test_counts_are_kept_per_connection(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    workspace.connections["other"] = connection("other", login_url="https://login.example")
    counts, objects = FieldCounts(), workspace.list_objects("org")
    counts.counts(workspace, "org", objects, describe=True)
    assert counts.counts(workspace, "other", objects, describe=False) == {}


def test_an_object_that_cannot_be_described_stays_unknown(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    gone = ObjectEntry("Gone__c", "Gone", custom=True)
    objects = [*workspace.list_objects("org"), gone]
    found = FieldCounts().counts(workspace, "org", objects, describe=True)
    assert found == {"Account": 40, "Contact": 35, "Lead": 30, "Invoice__c": 12}
