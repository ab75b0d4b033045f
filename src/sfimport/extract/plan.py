"""The Review: an import plan, per data set what will be read, how, what is concealed, how
many rows are expected and how many API calls it costs against the org's allowance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sfimport.extract import budget
from sfimport.extract.cursor import REST_URI_BUDGET, rest_query_bytes
from sfimport.extract.schema import FieldSelection, FieldSpec, scale_fallback_note
from sfimport.extract.spec import ImportSpec
from sfimport.salesforce.client import ApiUsage
from sfimport.store.runs import ErrorInfo

#: The column of a joined report's data set that names the block of each row.
BLOCK_COLUMN = "BLOCK"


@dataclass(frozen=True)
class ReportColumn:
    """One detail column of a report: its API name, its label (the My Data column name) and
    its Reports API data type."""

    name: str
    label: str
    data_type: str


@dataclass(frozen=True)
class PlannedDataset:
    """One data set of a plan, as the Review page shows it."""

    name: str
    kind: str  # "object" | "report"
    source: str  # object API name or report id
    fields: tuple[str, ...]
    skipped_fields: tuple[tuple[str, str], ...]
    concealed: tuple[str, ...]
    expected_rows: int | None
    cursor_field: str | None
    start_date_applies: bool
    method: str  # "bulk" | "rest" | "report"
    api_calls: int
    #: Describe fields of the selected columns, in column order (objects only).
    field_specs: tuple[FieldSpec, ...] = ()
    #: Detail columns of a report (reports only).
    report_columns: tuple[ReportColumn, ...] = ()
    #: Something the person should know about this data set (e.g. imported whole).
    note: str = ""
    #: "full" replaces the data set; "incremental" reads changes since ``since`` and merges.
    mode: str = "full"
    #: Incremental reads start here (the last high-water mark less the consistency overlap).
    since: datetime | None = None
    #: Read IsDeleted too (queryAll) to learn deletions, though the data set does not keep it.
    deleted_flag: bool = False
    #: Set when the data set cannot be read as planned (a field went away): nothing is read.
    error: ErrorInfo | None = None
    #: Concealed columns concealed only in person accounts' rows (IsPersonAccount true): an
    #: Account's Name is a person's there and a company's elsewhere.
    concealed_in_person_rows: tuple[str, ...] = ()
    #: Fields new in Salesforce since the last import: a refresh backfills only these columns.
    backfill: tuple[str, ...] = ()
    #: Formula and roll-up columns this refresh re-reads for every row (see extract.formulas).
    formulas: tuple[str, ...] = ()
    #: How the column pass (backfill and formulas) reads, and how many rows it expects.
    column_pass_method: str = "rest"
    column_pass_rows: int = 0


@dataclass(frozen=True)
class ImportPlan:
    """What an import will do; built by ``Workspace.build_plan`` and shown before it runs."""

    spec: ImportSpec
    datasets: tuple[PlannedDataset, ...]
    api_calls_total: int
    api_remaining: int | None
    api_max: int | None
    budget_calls: int | None
    within_budget: bool
    notes: tuple[str, ...] = ()
    created_at: datetime | None = None
    budget_percent: float = budget.DEFAULT_BUDGET_PERCENT
    instance_url: str | None = None
    #: Calls already made to build this plan (limits, describe, COUNT...), in the total.
    api_calls_planning: int = 0

    def budget_summary(self) -> str:
        """The budget in one phrase, the same on the Review page, in the CLI and in help:
        a ceiling on the org's daily usage, as a share of its daily maximum."""
        share = f"the org's usage may reach {self.budget_percent:g}% of its daily API maximum"
        if self.api_max is None or self.budget_calls is None:
            return f"{share} (its usage is not known yet)"
        ceiling = budget.ceiling_calls(self.api_max, self.budget_percent)
        return (
            f"{share} of {self.api_max:,} ({ceiling:,} calls), which leaves "
            f"{self.budget_calls:,} for this import"
        )

    def dataset(self, name: str) -> PlannedDataset:
        for planned in self.datasets:
            if planned.name == name:
                return planned
        raise KeyError(name)


def choose_method(
    selection: FieldSelection, expected_rows: int | None, *, bulk_ok: bool, sobject: str = ""
) -> str:
    """Bulk API 2.0 by default; REST when Bulk refuses the object or a field, or when the object
    is small enough that a few REST pages beat creating and polling a job, unless the fields
    are too many for a REST query URI (a wide object is read through Bulk whatever its size)."""
    if not bulk_ok or not selection.bulk_supported:
        return "rest"
    if too_wide_for_rest(sobject, selection):
        return "bulk"
    if expected_rows is not None and expected_rows < budget.REST_THRESHOLD_ROWS:
        return "rest"
    return "bulk"


def too_wide_for_rest(sobject: str, selection: FieldSelection) -> bool:
    """True when the REST query of these fields would pass Salesforce's URI limit."""
    size = rest_query_bytes(sobject, selection.names, selection.cursor_field)
    return size > REST_URI_BUDGET


def wide_note(sobject: str, selection: FieldSelection, method: str) -> str:
    """The Review's word on a wide object's method, or empty for an ordinary one."""
    if not too_wide_for_rest(sobject, selection):
        return ""
    size = rest_query_bytes(sobject, selection.names, selection.cursor_field)
    if method == "bulk":
        return (
            f"{sobject}: {len(selection.names)} fields make a REST query URI of about "
            f"{size:,} bytes, more than Salesforce's 16,384: read whole through the Bulk API, "
            "whatever its size."
        )
    return (
        f"{sobject}: {len(selection.names)} fields make a REST query URI of about {size:,} "
        "bytes, more than Salesforce's 16,384, and the Bulk API cannot read this object or "
        "one of its fields: Salesforce will refuse the query. Select fewer fields."
    )


def plan_object(
    sobject: str,
    selection: FieldSelection,
    *,
    expected_rows: int | None,
    has_start_date: bool,
    concealed: Sequence[str],
    bulk_ok: bool = True,
    concealed_in_person_rows: Sequence[str] = (),
) -> PlannedDataset:
    method = choose_method(selection, expected_rows, bulk_ok=bulk_ok, sobject=sobject)
    cursor = selection.cursor_field
    notes = [wide_note(sobject, selection, method)]
    if has_start_date and cursor is None:
        notes.append(
            f"{sobject} has no SystemModstamp, LastModifiedDate or CreatedDate: it is imported "
            "whole, whatever the start date."
        )
    notes.extend(scale_fallback_note(f) for f in selection.fields if f.scale_fallback)
    note = " ".join(n for n in notes if n)
    return PlannedDataset(
        name=sobject,
        kind="object",
        source=sobject,
        fields=selection.names,
        skipped_fields=tuple((s.name, s.reason) for s in selection.skipped),
        concealed=tuple(concealed),
        expected_rows=expected_rows,
        cursor_field=cursor,
        start_date_applies=has_start_date and cursor is not None,
        method=method,
        api_calls=budget.object_calls(method, expected_rows),
        field_specs=selection.fields,
        note=note,
        concealed_in_person_rows=tuple(concealed_in_person_rows),
    )


def plan_report(
    report_id: str,
    name: str,
    columns: Sequence[ReportColumn],
    *,
    expected_rows: int | None,
    concealed: Sequence[str],
    still_running: bool = False,
) -> PlannedDataset:
    return PlannedDataset(
        name=name,
        kind="report",
        source=report_id,
        fields=tuple(c.label for c in columns),
        skipped_fields=(),
        concealed=tuple(concealed),
        expected_rows=expected_rows,
        cursor_field=None,
        start_date_applies=False,
        method="report",
        api_calls=budget.report_calls(expected_rows),
        report_columns=tuple(columns),
        note=" ".join(
            (
                "Reports are imported whole, as Salesforce runs them; the start date does not "
                "apply.",
                *(
                    (
                        "A joined report: every block lands in this one data set, its Block "
                        "column names the block, and each block is checked against its own "
                        "row count.",
                    )
                    if columns and columns[0].name == BLOCK_COLUMN
                    else ()
                ),
                *(
                    (
                        "Salesforce was still running the report when this plan was made, so "
                        "its row count is not known yet; the import waits for the run and "
                        "checks the rows against the report's own total.",
                    )
                    if still_running
                    else ()
                ),
            )
        ),
    )


def assemble_plan(
    spec: ImportSpec,
    datasets: Sequence[PlannedDataset],
    usage: ApiUsage | None,
    *,
    default_budget_percent: float = budget.DEFAULT_BUDGET_PERCENT,
    created_at: datetime | None = None,
    instance_url: str | None = None,
    extra_notes: Sequence[str] = (),
    planning_extra: int = 0,
) -> ImportPlan:
    """Total the API calls and hold them against the budget: the org's usage may reach
    ``percent`` of its daily maximum. ``usage`` is what the org had used when planning began;
    ``planning_extra`` counts planning calls the per-data-set figures leave out (the limits
    read, the report list and summary runs), so every call this import makes is in the total."""
    percent = spec.budget_percent if spec.budget_percent is not None else default_budget_percent
    total = sum(d.api_calls for d in datasets) + planning_extra
    allowed = budget.budget_calls(usage, percent)
    notes = [d.note for d in datasets if d.note and d.kind == "object"]
    if any(d.kind == "report" for d in datasets) and spec.start_date is not None:
        notes.append("Reports are imported whole; the start date applies to objects only.")
    if usage is None:
        notes.append("The org's remaining daily API allowance is not known yet.")
    elif allowed is not None and total > allowed:
        notes.append(
            f"This import needs about {total} API calls, more than the {allowed} its budget "
            f"({percent:g}% of the daily {usage.max}) leaves."
        )
    notes.extend(extra_notes)
    return ImportPlan(
        spec=spec,
        datasets=tuple(datasets),
        api_calls_total=total,
        api_remaining=None if usage is None else usage.remaining,
        api_max=None if usage is None else usage.max,
        budget_calls=allowed,
        within_budget=allowed is None or total <= allowed,
        notes=tuple(notes),
        created_at=created_at,
        budget_percent=percent,
        instance_url=instance_url,
        api_calls_planning=planning_extra
        + budget.PLAN_CALLS_PER_OBJECT * sum(1 for d in datasets if d.kind == "object")
        + 1 * sum(1 for d in datasets if d.kind == "report"),
    )
