"""GROUP BY, aggregate functions and HAVING over REST query: AggregateResult rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from tests.emulator.conftest import Http


def _rows(http: Http, token: str, soql: str) -> list[dict[str, Any]]:
    response = http.query(soql, token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["done"] is True
    assert body["totalSize"] == len(body["records"])
    records: list[dict[str, Any]] = body["records"]
    return records


def _all(http: Http, token: str, soql: str) -> list[dict[str, Any]]:
    """Every row of a plain query, following nextRecordsUrl."""
    body = http.query(soql, token).json()
    records = list(body["records"])
    while not body["done"]:
        body = http.get(body["nextRecordsUrl"], token=token).json()
        records.extend(body["records"])
    return records


def test_group_by_counts_sums_and_averages_each_group(http: Http, admin_token: str) -> None:
    plain = _all(http, admin_token, "SELECT StageName, Amount FROM Opportunity")
    counts = Counter(row["StageName"] for row in plain)
    amounts: dict[str, list[float]] = defaultdict(list)
    for row in plain:
        if row["Amount"] is not None:
            amounts[row["StageName"]].append(row["Amount"])
    grouped = _rows(
        http,
        admin_token,
        "SELECT StageName, COUNT(Id), SUM(Amount) total, AVG(Amount), MIN(Amount), MAX(Amount)"
        " FROM Opportunity GROUP BY StageName",
    )
    assert len(grouped) == len(counts) > 1
    for record in grouped:
        assert record["attributes"] == {"type": "AggregateResult"}
        # Unaliased aggregates are numbered among themselves: the alias does not take a number.
        assert list(record) == [
            "attributes",
            "StageName",
            "expr0",
            "total",
            "expr1",
            "expr2",
            "expr3",
        ]
        stage = record["StageName"]
        assert record["expr0"] == counts[stage]
        assert record["total"] == sum(amounts[stage])
        assert abs(record["expr1"] - sum(amounts[stage]) / len(amounts[stage])) < 1e-6
        assert record["expr2"] == min(amounts[stage])
        assert record["expr3"] == max(amounts[stage])


def test_having_keeps_only_matching_groups_and_limit_counts_groups(
    http: Http, admin_token: str
) -> None:
    plain = _all(http, admin_token, "SELECT StageName FROM Opportunity")
    counts = Counter(row["StageName"] for row in plain)
    threshold = sorted(counts.values())[len(counts) // 2]
    kept = _rows(
        http,
        admin_token,
        f"SELECT StageName, COUNT(Id) n FROM Opportunity GROUP BY StageName "
        f"HAVING COUNT(Id) >= {threshold}",
    )
    assert {row["StageName"]: row["n"] for row in kept} == {
        stage: n for stage, n in counts.items() if n >= threshold
    }
    assert 0 < len(kept) < len(counts)
    limited = _rows(
        http,
        admin_token,
        "SELECT StageName, COUNT(Id) FROM Opportunity GROUP BY StageName"
        " ORDER BY StageName LIMIT 2",
    )
    assert [row["StageName"] for row in limited] == sorted(counts, key=str.lower)[:2]


def test_count_distinct_and_min_max_of_dates(http: Http, admin_token: str) -> None:
    plain = _all(http, admin_token, "SELECT AccountId, CloseDate FROM Opportunity")
    (record,) = _rows(
        http,
        admin_token,
        "SELECT COUNT_DISTINCT(AccountId), MIN(CloseDate) earliest, MAX(CloseDate) latest"
        " FROM Opportunity",
    )
    assert record["expr0"] == len({row["AccountId"] for row in plain if row["AccountId"]})
    dates = [row["CloseDate"] for row in plain if row["CloseDate"]]
    assert (record["earliest"], record["latest"]) == (min(dates), max(dates))


def test_grouping_mistakes_get_malformed_query(http: Http, admin_token: str) -> None:
    loose = http.query(
        "SELECT StageName, Name, COUNT(Id) FROM Opportunity GROUP BY StageName", admin_token
    )
    assert loose.status_code == 400
    (error,) = loose.json()
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert error["message"].endswith("Field must be grouped or aggregated: Name")
    text_sum = http.query("SELECT SUM(Name) FROM Opportunity", admin_token)
    assert text_sum.status_code == 400
    assert text_sum.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert "does not support aggregate operator SUM" in text_sum.json()[0]["message"]
