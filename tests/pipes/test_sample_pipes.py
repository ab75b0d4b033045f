"""The demo's sample pipes: made once the objects they read are imported into one folder, and
built like any pipe."""

from __future__ import annotations

from datetime import UTC, datetime

from sfimport.app.workspace import Workspace
from tests.pipes.conftest import put, rows_of

LEADS = [
    {"Id": "00QA", "LeadSource": "Web", "CreatedDate": datetime(2024, 1, 5, tzinfo=UTC)},
    {"Id": "00QB", "LeadSource": "Web", "CreatedDate": datetime(2024, 1, 9, tzinfo=UTC)},
    {"Id": "00QC", "LeadSource": None, "CreatedDate": datetime(2024, 2, 1, tzinfo=UTC)},
]


def test_sample_pipes_appear_once_their_sources_are_imported(workspace: Workspace) -> None:
    # The fixture imported Account and Opportunity: the pipeline sample can be made now.
    assert workspace.enable_sample_pipes() == ["Samples.Open pipeline by stage and industry"]
    assert rows_of(workspace, "Samples.Open pipeline by stage and industry", "1, 2") == [
        ("Negotiation", "Energy", 20.0, 1),
        ("Prospecting", "Energy", 100.0, 1),
        ("Prospecting", "Retail", 30.0, 1),
    ]
    # The leads sample follows as soon as an import publishes Lead.
    put(workspace, "Lead", LEADS)
    assert rows_of(workspace, "Samples.Leads by source per month", "1, 2") == [
        (datetime(2024, 1, 1, tzinfo=UTC), "Web", 2),
        (datetime(2024, 2, 1, tzinfo=UTC), "(none)", 1),
    ]
    assert [p.qualified for p in workspace.list_pipes()] == [
        "Samples.Leads by source per month",
        "Samples.Open pipeline by stage and industry",
    ]
    assert workspace.enable_sample_pipes() == []  # made once
