"""Report filters for an empty value ("equals" with value "") match rows whose text cell is
empty, as in Salesforce, so blank and non-blank slices add up to the grand total."""

from __future__ import annotations

from sfimport.emulator import Org
from tests.emulator.conftest import Http, fresh_org
from tests.emulator.test_reports import detail_rows, row_count, run


def test_equals_empty_on_a_text_column_matches_its_empty_cells() -> None:
    org: Org = fresh_org()
    http = Http(org)
    token = http.token()
    whole = run(http, token, "All_Contacts", details=False)
    total = row_count(whole["factMap"]["T!T"], whole)
    counts = {}
    for operator in ("equals", "notEqual"):
        extra = {"column": "TITLE", "operator": operator, "value": ""}
        metadata = {"detailColumns": ["CONTACT_ID", "TITLE"], "reportFilters": [extra]}
        body = run(http, token, "All_Contacts", metadata, details=False)
        counts[operator] = row_count(body["factMap"]["T!T"], body)
    blank = run(
        http,
        token,
        "All_Contacts",
        {
            "detailColumns": ["CONTACT_ID", "TITLE"],
            "reportFilters": [{"column": "TITLE", "operator": "equals", "value": ""}],
        },
    )
    rows = detail_rows(blank)
    assert blank["allData"] is True and len(rows) == counts["equals"] > 0
    assert all(title is None for _, title in rows)
    assert counts["equals"] + counts["notEqual"] == total
