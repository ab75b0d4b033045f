"""How one imported object is refreshed: incrementally from its high-water mark, or whole.

An object with a cursor field and a high-water mark is read from the mark less a small overlap
(Salesforce commits become visible to queries late) up to the run's frozen start, through
queryAll so deletions come back as ``IsDeleted`` rows; the rows are merged by Id. Objects
without a cursor, data sets whose columns change (a new field, a field dropped on purpose) and
reports are read whole. A field imported before that Salesforce no longer shows (deleted, or
hidden by field-level security) stops the data set with the spec's error before anything is
read, naming the field and the data set.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

from sfimport.errors import FieldUnavailable
from sfimport.extract import budget
from sfimport.extract.conceal import (
    Classification,
    default_concealed_columns,
    person_account_rows,
    read_classifications,
)
from sfimport.extract.cost import cheaper_method
from sfimport.extract.cursor import CONSISTENCY_LAG, count_soql, start_of
from sfimport.extract.formulas import formula_fields, formulas_due, pass_calls, pass_method
from sfimport.extract.outcomes import FIELD_ERROR_ACTIONS
from sfimport.extract.plan import (
    PlannedDataset,
    choose_method,
    plan_object,
    too_wide_for_rest,
    wide_note,
)
from sfimport.extract.schema import FieldSelection, FieldSpec, select_fields
from sfimport.salesforce.client import SalesforceClient
from sfimport.store.mydata import Dataset
from sfimport.store.runs import ErrorInfo


@dataclass(frozen=True)
class RefreshChoice:
    """What the person chose for a data set when it was imported, and since."""

    #: The import took every field (new fields appear as new columns), not a fixed list.
    all_fields: bool = True
    #: The import concealed the default personal-data columns (new ones are concealed too).
    default_concealment: bool = False
    #: Fields to leave out from now on ("continue without that field").
    without: frozenset[str] = frozenset()
    #: When formula columns are re-read ("always", "daily", "never"; None: by size).
    formulas_every: str | None = None
    #: When they were last re-read, and now (to judge "daily").
    formulas_refreshed_at: datetime | None = None
    now: datetime | None = None


def field_gone_error(dataset: Dataset, field: str) -> ErrorInfo:
    """The spec's error for a field that was imported but is gone or hidden."""
    qualified = f"{dataset.folder}.{dataset.name}"
    return ErrorInfo(
        kind=FieldUnavailable.kind,
        message=(
            f"The field {field} of data set {qualified} ({dataset.source}) is no longer "
            "available in Salesforce: it was deleted, or field-level security now hides it "
            "from this user."
        ),
        remedy=FieldUnavailable.remedy,
        actions=FIELD_ERROR_ACTIONS,
        field=field,
        dataset=dataset.name,
    )


def plan_object_refresh(
    client: SalesforceClient, dataset: Dataset, choice: RefreshChoice
) -> PlannedDataset:
    """The refresh of one imported object (describes it and counts what will be read)."""
    described = client.rest.describe(dataset.source)
    fields = [FieldSpec.from_describe(cast(dict[str, Any], f)) for f in described["fields"]]
    available = {f.name.lower() for f in fields}
    without = {name.lower() for name in choice.without}
    imported = [c.name for c in dataset.columns if c.name.lower() not in without]
    gone = [name for name in imported if name.lower() not in available]
    if gone:
        return _blocked(dataset, imported, field_gone_error(dataset, gone[0]))
    wanted: Collection[str] | None
    if choice.all_fields:
        wanted = None if not without else [f.name for f in fields if f.name.lower() not in without]
    else:
        wanted = imported
    selection = select_fields(fields, wanted)
    classified = read_classifications(client, dataset.source) if choice.default_concealment else {}
    concealed = _concealed(dataset, selection.fields, choice, without, classified)
    person_rows = (
        person_account_rows(selection.fields, dataset.source, concealed, classified)
        if choice.default_concealment
        else ()
    )
    start = start_of(dataset.start_date) if dataset.start_date else None
    # A field left out on purpose changes the columns: the data set is read whole. A field new
    # in Salesforce does not: only its column is backfilled (Id plus the field, every row).
    known = {c.name.lower() for c in dataset.columns}
    changed = bool(known - {f.name.lower() for f in selection.fields})
    new_fields = tuple(f.name for f in selection.fields if f.name.lower() not in known)
    cursor = selection.cursor_field
    mark = dataset.high_water_mark
    if changed or cursor is None or mark is None or cursor != dataset.cursor_field:
        reason = _whole_reason(changed, cursor, mark)
        planned = plan_object(
            described["name"],
            selection,
            expected_rows=client.rest.count(count_soql(described["name"], cursor, start)),
            has_start_date=start is not None,
            concealed=concealed,
            concealed_in_person_rows=person_rows,
        )
        return _renamed(planned, dataset.name, reason)
    since = _aware(mark) - CONSISTENCY_LAG
    if start is not None:
        since = max(since, start)
    expected = client.rest.count(count_soql(dataset.source, cursor, since), include_deleted=True)
    method = _refresh_method(selection, expected, dataset.source)
    formulas: tuple[str, ...] = ()
    now = choice.now or datetime.now(UTC)
    if formulas_due(choice.formulas_every, dataset.row_count, choice.formulas_refreshed_at, now):
        formulas = tuple(f for f in formula_fields(selection.fields) if f not in new_fields)
    pass_rows = dataset.row_count if (formulas or new_fields) else 0
    pass_how = pass_method(pass_rows)
    return PlannedDataset(
        name=dataset.name,
        kind="object",
        source=dataset.source,
        fields=selection.names,
        skipped_fields=tuple((s.name, s.reason) for s in selection.skipped),
        concealed=concealed,
        concealed_in_person_rows=person_rows,
        expected_rows=expected,
        cursor_field=cursor,
        start_date_applies=start is not None,
        method=method,
        api_calls=budget.object_calls(method, expected)
        + (pass_calls(pass_how, pass_rows) if pass_rows else 0),
        field_specs=selection.fields,
        note=" ".join(
            n
            for n in (
                f"Changes since {since:%Y-%m-%d %H:%M} UTC, merged by Id.",
                _backfill_note(new_fields),
                _formula_note(formulas),
                wide_note(dataset.source, selection, method),
            )
            if n
        ),
        mode="incremental",
        since=since,
        deleted_flag="IsDeleted" not in selection.names and "isdeleted" in available,
        backfill=new_fields,
        formulas=formulas,
        column_pass_method=pass_how,
        column_pass_rows=pass_rows,
    )


def _refresh_method(selection: FieldSelection, expected: int | None, sobject: str) -> str:
    """REST or Bulk for the changes, whichever is expected to be cheaper for that many rows
    (a refresh reads few); Bulk when REST cannot carry the fields, REST when Bulk refuses."""
    method = choose_method(selection, expected, bulk_ok=True, sobject=sobject)
    if method == "bulk" and not too_wide_for_rest(sobject, selection):
        return cheaper_method(expected)
    return method


def _backfill_note(fields: tuple[str, ...]) -> str:
    if not fields:
        return ""
    return (
        f"New in Salesforce since the last import: {', '.join(fields)}; only "
        f"{'this column is' if len(fields) == 1 else 'these columns are'} read for every row "
        "(Id plus the new fields), the data set is not read again."
    )


def _formula_note(fields: tuple[str, ...]) -> str:
    if not fields:
        return ""
    return (
        f"Formula columns re-read for every row: {', '.join(fields)} (they change when "
        "another record does, without SystemModstamp moving)."
    )


def _blocked(dataset: Dataset, imported: list[str], error: ErrorInfo) -> PlannedDataset:
    return PlannedDataset(
        name=dataset.name,
        kind="object",
        source=dataset.source,
        fields=tuple(imported),
        skipped_fields=(),
        concealed=dataset.concealed,
        expected_rows=None,
        cursor_field=dataset.cursor_field,
        start_date_applies=dataset.start_date is not None,
        method="rest",
        api_calls=1,  # the describe already made
        note=error.message,
        error=error,
    )


def _concealed(
    dataset: Dataset,
    fields: tuple[FieldSpec, ...],
    choice: RefreshChoice,
    without: set[str],
    classified: Mapping[str, Classification] | None = None,
) -> tuple[str, ...]:
    names = {f.name for f in fields}
    kept = [c for c in dataset.concealed if c in names and c.lower() not in without]
    if choice.default_concealment:
        # A personal-data field added (or classified) since the import is concealed too.
        defaults = default_concealed_columns(fields, dataset.source, classified)
        kept += [c for c in defaults if c not in kept]
    return tuple(kept)


def _whole_reason(changed: bool, cursor: str | None, mark: datetime | None) -> str:
    if changed:
        return "A field is left out from now on: read whole, without its column."
    if cursor is None:
        return "It has no SystemModstamp, LastModifiedDate or CreatedDate: read whole."
    if mark is None:
        return "No high-water mark yet: read whole."
    return "Its cursor field changed: read whole."


def _renamed(planned: PlannedDataset, name: str, note: str) -> PlannedDataset:
    return replace(planned, name=name, note=note)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
