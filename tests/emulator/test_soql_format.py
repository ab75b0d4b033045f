"""SOQL FORMAT(): numbers, currencies, dates and datetimes as the en_US demo user sees them (in
America/Los_Angeles), under the field's name or an alias, and around aggregates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sfimport.emulator.soql_format import format_value
from tests.emulator.conftest import Http, error_of


def _records(http: Http, token: str, soql: str) -> list[dict[str, Any]]:
    response = http.query(soql, token)
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["records"]
    return records


def test_format_keeps_the_field_name_and_localises_the_value(http: Http, admin_token: str) -> None:
    soql = "SELECT Id, Amount, CloseDate, CreatedDate FROM Opportunity WHERE Amount != null LIMIT 3"
    raw = _records(http, admin_token, soql)
    shown = _records(
        http,
        admin_token,
        "SELECT Id, FORMAT(Amount), FORMAT(CloseDate), FORMAT(CreatedDate) FROM Opportunity"
        " WHERE Amount != null LIMIT 3",
    )
    for plain, formatted in zip(raw, shown, strict=True):
        assert list(formatted) == ["attributes", "Id", "Amount", "CloseDate", "CreatedDate"]
        assert formatted["Amount"] == f"${plain['Amount']:,.2f}"
        year, month, day = plain["CloseDate"].split("-")
        assert formatted["CloseDate"] == f"{int(month)}/{int(day)}/{year}"
        assert formatted["CreatedDate"] == format_value(
            plain["CreatedDate"], "datetime", 0, "America/Los_Angeles"
        )


def test_an_alias_adds_the_formatted_value_beside_the_raw_one(http: Http, admin_token: str) -> None:
    records = _records(
        http,
        admin_token,
        "SELECT Id, LastModifiedDate, FORMAT(LastModifiedDate) formattedDate, Name"
        " FROM Account LIMIT 2",
    )
    for record in records:
        assert list(record) == ["attributes", "Id", "LastModifiedDate", "formattedDate", "Name"]
        assert record["LastModifiedDate"].endswith(".000+0000")
        assert record["formattedDate"] == format_value(
            record["LastModifiedDate"], "datetime", 0, "America/Los_Angeles"
        )


def test_the_same_field_twice_needs_an_alias(http: Http, admin_token: str) -> None:
    response = http.query("SELECT Amount, FORMAT(Amount) FROM Opportunity", admin_token)
    assert error_of(response) == (400, "INVALID_FIELD", "duplicate field selected: Amount")


def test_format_around_aggregates(http: Http, admin_token: str) -> None:
    raw = _records(
        http, admin_token, "SELECT MIN(CloseDate) a, SUM(Amount) b, COUNT(Id) c FROM Opportunity"
    )[0]
    shown = _records(
        http,
        admin_token,
        "SELECT FORMAT(MIN(CloseDate)) a, FORMAT(SUM(Amount)) b, FORMAT(COUNT(Id)) c"
        " FROM Opportunity",
    )[0]
    year, month, day = raw["a"].split("-")
    assert shown == {
        "attributes": {"type": "AggregateResult"},
        "a": f"{int(month)}/{int(day)}/{year}",
        "b": f"${raw['b']:,.2f}",
        "c": f"{raw['c']:,}",
    }
    grouped = _records(
        http,
        admin_token,
        "SELECT StageName, FORMAT(SUM(Amount)) total FROM Opportunity GROUP BY StageName",
    )
    assert all(str(r["total"]).startswith("$") for r in grouped if r["total"] is not None)


def test_format_of_a_parent_field_formats_it_in_place(http: Http, admin_token: str) -> None:
    record = _records(
        http, admin_token, "SELECT FORMAT(Account.CreatedDate) FROM Opportunity LIMIT 1"
    )[0]
    assert "," in record["Account"]["CreatedDate"]
    assert record["Account"]["CreatedDate"].endswith(("AM", "PM"))


@pytest.mark.parametrize(
    ("value", "kind", "scale", "shown"),
    [
        (44000.0, "currency", 2, "$44,000.00"),
        (-1234.5, "currency", 2, "-$1,234.50"),
        (1234567, "int", 0, "1,234,567"),
        (12.5, "percent", 2, "12.50%"),
        (3.14159, "double", 3, "3.142"),
        ("2015-12-28", "date", 0, "12/28/2015"),
        # 22:31 UTC is 3:31 PM in Los Angeles (PDT, UTC-7) on 10 April 2025.
        ("2025-04-10T22:31:37.000+0000", "datetime", 0, "4/10/2025, 3:31 PM"),
        ("2025-01-01T07:05:00.000+0000", "datetime", 0, "12/31/2024, 11:05 PM"),
        ("00:15:00.000Z", "time", 0, "12:15 AM"),
        ("Acme", "string", 0, "Acme"),
        (None, "currency", 2, None),
    ],
)
def test_values_are_formatted_as_an_en_us_user_sees_them(
    value: object, kind: str, scale: int, shown: object
) -> None:
    assert format_value(value, kind, scale, "America/Los_Angeles") == shown


def test_unknown_field_in_format_is_invalid_field(http: Http, admin_token: str) -> None:
    response = http.query("SELECT FORMAT(Bogus__c) FROM Opportunity", admin_token)
    status, code, message = error_of(response)
    assert (status, code) == (400, "INVALID_FIELD")
    assert "No such column 'Bogus__c' on entity 'Opportunity'" in message


def test_formatted_clock_is_frozen_demo_time(http: Http) -> None:
    # The conftest's frozen clock: noon UTC on 2 March 2026 is 4:00 AM in Los Angeles (PST).
    stamp = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    assert format_value(stamp, "datetime", 0, "America/Los_Angeles") == "3/2/2026, 4:00 AM"
