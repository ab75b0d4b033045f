"""The SOQL the emulator refuses is refused in Salesforce's own words: parser errors point a
caret at the token, semantic ones use the wording real orgs send; no made-up "unsupported" text.
HAVING filters grouped fields with LIKE, IN and INCLUDES as WHERE does."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import Http, error_of


@pytest.mark.parametrize(
    ("soql", "token"),
    [
        ("SELECT convertCurrency(Amount) FROM Opportunity", "("),
        ("SELECT Id FROM Account WHERE COUNT(Id) > 1", "("),
        (
            "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry"
            " HAVING Industry IN (SELECT Industry FROM Lead)",
            "SELECT",
        ),
        ("SELECT Id FROM Account WITH DATA CATEGORY Geography__c AT usa__c", "DATA"),
        ("SELECT Id FROM Account USING SCOPE Mine", "Mine"),
        ("SELECT Id FROM Account FOR UPDATE", "UPDATE"),
    ],
)
def test_unsupported_syntax_gets_the_parser_wording(
    http: Http, admin_token: str, soql: str, token: str
) -> None:
    status, code, message = error_of(http.query(soql, admin_token))
    assert (status, code) == (400, "MALFORMED_QUERY")
    lines = message.split("\n")
    assert lines[0] == "" and lines[1] == soql
    column = lines[2].index("^")
    assert soql[column : column + len(token)] == token
    assert lines[3] == f"ERROR at Row:1:Column:{column + 1}"
    assert lines[4] == f"unexpected token: {token}"
    assert "unsupported" not in message.lower() and "supports" not in message.lower()


@pytest.mark.parametrize(
    "where",
    [
        "Name = 'x' OR Id IN (SELECT AccountId FROM Case)",
        "NOT Id IN (SELECT AccountId FROM Case)",
        "(Name = 'x' OR Id IN (SELECT AccountId FROM Case)) AND Name != null",
    ],
)
def test_a_nested_semi_join_is_refused_as_salesforce_does(
    http: Http, admin_token: str, where: str
) -> None:
    response = http.query(f"SELECT Id FROM Account WHERE {where}", admin_token)
    assert error_of(response) == (
        400,
        "MALFORMED_QUERY",
        "Semi join sub-selects are only allowed at the top level WHERE expressions and not in "
        "nested WHERE expressions.",
    )


def test_top_level_semi_joins_still_run(http: Http, admin_token: str) -> None:
    response = http.query(
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Case) AND Name != null",
        admin_token,
    )
    assert response.status_code == 200, response.text
    assert response.json()["totalSize"] > 0


def _groups(http: Http, token: str, having: str) -> set[str]:
    response = http.query(
        f"SELECT StageName, COUNT(Id) FROM Opportunity GROUP BY StageName HAVING {having}", token
    )
    assert response.status_code == 200, response.text
    return {record["StageName"] for record in response.json()["records"]}


def test_having_filters_grouped_fields_with_like_in_and_not_in(
    http: Http, admin_token: str
) -> None:
    every = _groups(http, admin_token, "COUNT(Id) > 0")
    assert len(every) > 3
    closed = {stage for stage in every if stage.lower().startswith("closed")}
    assert closed
    assert _groups(http, admin_token, "StageName LIKE 'closed%'") == closed
    two = sorted(every)[:2]
    listed = ", ".join(f"'{stage}'" for stage in two)
    assert _groups(http, admin_token, f"StageName IN ({listed})") == set(two)
    assert _groups(http, admin_token, f"StageName NOT IN ({listed})") == every - set(two)
    assert _groups(http, admin_token, f"StageName IN ({listed}) AND COUNT(Id) > 0") == set(two)


@pytest.mark.parametrize(
    "clauses",
    [
        ("", "WITH SECURITY_ENFORCED", ""),
        ("", "WITH USER_MODE", ""),
        ("USING SCOPE Everything", "", ""),
        ("", "", "FOR VIEW"),
        ("using scope everything", "with system_mode", "for reference"),
    ],
)
def test_clauses_that_change_no_answer_are_accepted(
    http: Http, admin_token: str, clauses: tuple[str, str, str]
) -> None:
    scope, mode, lock = clauses
    plain = http.query("SELECT Id FROM Account WHERE Name != null ORDER BY Id LIMIT 5", admin_token)
    soql = f"SELECT Id FROM Account {scope} WHERE Name != null {mode} ORDER BY Id LIMIT 5 {lock}"
    response = http.query(" ".join(soql.split()), admin_token)
    assert response.status_code == 200, response.text
    assert response.json() == plain.json()
