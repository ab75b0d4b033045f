"""The Review's arithmetic: method choice, API-call estimates, budget and start-date notes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sfimport.extract import budget
from sfimport.extract.cursor import count_soql, select_soql, soql_datetime, start_of
from sfimport.extract.plan import assemble_plan, plan_object
from sfimport.extract.schema import FieldSpec, select_fields
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.salesforce.client import ApiUsage

ACCOUNT = [
    FieldSpec("Id", "Account ID", "id"),
    FieldSpec("Name", "Account Name", "string"),
    FieldSpec("BillingAddress", "Billing Address", "address"),
    FieldSpec("BillingCity", "Billing City", "string", compound_field_name="BillingAddress"),
    FieldSpec("Logo", "Logo", "base64"),
    FieldSpec("SystemModstamp", "System Modstamp", "datetime"),
]
NO_CURSOR = [FieldSpec("Id", "Id", "id"), FieldSpec("Label", "Label", "string")]


def spec(**overrides: object) -> ImportSpec:
    values: dict[str, object] = {
        "connection": "acme",
        "folder": "Sales",
        "objects": (ObjectChoice("Account"),),
        "start_date": date(2024, 1, 1),
    }
    values.update(overrides)
    return ImportSpec(**values)  # type: ignore[arg-type]


def test_small_objects_are_read_through_rest_and_large_ones_through_bulk() -> None:
    selection = select_fields(ACCOUNT)
    small = plan_object("Account", selection, expected_rows=50, has_start_date=True, concealed=())
    large = plan_object(
        "Account", selection, expected_rows=1_000_000, has_start_date=True, concealed=()
    )
    assert small.method == "rest"
    assert small.api_calls == 3 + 1
    assert large.method == "bulk"
    assert large.api_calls == 3 + 1 + budget.bulk_polls(1_000_000) + 10 + 1


def test_plan_lists_compound_and_base64_fields_as_skipped_with_reasons() -> None:
    planned = plan_object(
        "Account", select_fields(ACCOUNT), expected_rows=3, has_start_date=False, concealed=()
    )
    assert planned.fields == ("Id", "Name", "BillingCity", "SystemModstamp")
    skipped = dict(planned.skipped_fields)
    assert "BillingCity" in skipped["BillingAddress"]
    assert "base64" in skipped["Logo"]
    assert planned.cursor_field == "SystemModstamp"


def test_object_without_a_cursor_field_is_imported_whole_and_the_plan_says_so() -> None:
    planned = plan_object(
        "Thing", select_fields(NO_CURSOR), expected_rows=3, has_start_date=True, concealed=()
    )
    plan = assemble_plan(spec(), [planned], ApiUsage(used=100, max=15_000))
    assert planned.start_date_applies is False
    assert any("imported whole" in note for note in plan.notes)


def test_plan_holds_api_calls_against_the_budget_share_of_the_allowance() -> None:
    planned = plan_object(
        "Account",
        select_fields(ACCOUNT),
        expected_rows=1_000_000,
        has_start_date=False,
        concealed=(),
    )
    roomy = assemble_plan(spec(), [planned], ApiUsage(used=0, max=15_000))
    assert roomy.within_budget and roomy.budget_calls == 12_000
    assert roomy.api_remaining == 15_000
    tight = assemble_plan(spec(budget_percent=10.0), [planned], ApiUsage(used=1490, max=15_000))
    assert tight.budget_calls == 10
    assert not tight.within_budget
    assert any("more than the 10" in note for note in tight.notes)


def test_start_date_becomes_an_unquoted_utc_literal_on_the_cursor_field() -> None:
    start = start_of(date(2024, 3, 1))
    assert soql_datetime(start) == "2024-03-01T00:00:00Z"
    assert (
        select_soql("Account", ["Id", "Name"], "SystemModstamp", start)
        == "SELECT Id, Name FROM Account WHERE SystemModstamp >= 2024-03-01T00:00:00Z"
    )
    assert count_soql("Account", None, start) == "SELECT COUNT() FROM Account"
    before = datetime(2024, 4, 1, tzinfo=UTC)
    assert count_soql("Account", "CreatedDate", None, before).endswith(
        "WHERE CreatedDate < 2024-04-01T00:00:00Z"
    )
