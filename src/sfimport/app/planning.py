"""Plans: validate a spec, describe and count what it names, plan refreshes of data sets."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sfimport.app.core import Core
from sfimport.app.values import _no_report
from sfimport.errors import (
    BudgetExceeded,
    ResourceNotFound,
    SfimportError,
    UsageError,
)
from sfimport.extract import budget
from sfimport.extract.conceal import (
    Classification,
    default_concealed_columns,
    person_account_rows,
    unknown_conceal_target,
)
from sfimport.extract.cursor import count_soql, start_of
from sfimport.extract.plan import (
    ImportPlan,
    PlannedDataset,
    assemble_plan,
    plan_object,
    plan_report,
)
from sfimport.extract.refresh import RefreshChoice, plan_object_refresh
from sfimport.extract.reports import (
    default_concealed_report_columns,
    grand_total,
    report_columns,
    run_instance,
)
from sfimport.extract.schema import FieldSpec, select_fields
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.salesforce.client import ApiUsage, SalesforceClient
from sfimport.salesforce.redaction import redacting_logger
from sfimport.salesforce.wire import ReportDescribe
from sfimport.store.history import DatasetOptions
from sfimport.store.mydata import Dataset
from sfimport.store.names import suggest_name, validate_name

logger = redacting_logger(__name__)


class PlanningService(Core):
    """Plans: validate a spec, describe and count what it names, plan refreshes of data sets."""

    def build_plan(self, spec: ImportSpec) -> ImportPlan:
        """Validate the spec, describe and COUNT() every data set, estimate the API calls.

        Raises NotFound for an object or report Salesforce does not have (or this user cannot
        read), NotSupportedObject, and DailyLimitExceeded when the org's allowance is already
        used up (nothing is started then)."""
        with self._before_any_run():
            return self._build_plan(spec)

    def _build_plan(self, spec: ImportSpec) -> ImportPlan:
        validate_name(spec.folder, "folder")
        client = self.client(spec.connection)
        start = start_of(spec.start_date) if spec.start_date else None
        self._check_conceal_targets(spec, after_planning=False)
        # The limits first, in one call, so that planning never spends calls the budget lacks.
        before = self._limits_usage(client) or client.usage
        self._check_planning_budget(
            spec.budget_percent, before, len(spec.objects), len(spec.reports), _classified(spec)
        )
        planned: list[PlannedDataset] = []
        used: set[str] = set()
        for choice in spec.objects:
            planned.append(self._plan_object(client, spec, choice, start, used))
        for ref in spec.reports:
            planned.append(self._plan_report(client, spec, ref, used))
        self._check_conceal_targets(spec, planned, used, after_planning=True)
        names = [p.name.lower() for p in planned]
        if len(set(names)) != len(names):
            raise UsageError("Two data sets of this import would have the same name.")
        # The limits read, the report lists and summary runs, the classification queries.
        extra = 1 + budget.REPORT_PLAN_EXTRA * len(spec.reports) + _classified(spec)
        if before is None:
            # Usage was unknown before planning: judge by what is known now (planning included).
            before, extra = client.usage, 0
        return assemble_plan(
            spec,
            planned,
            before,
            default_budget_percent=self.settings.api_budget_percent,
            created_at=self._clock(),
            instance_url=client.instance_url,
            planning_extra=extra,
        )

    def _check_planning_budget(
        self,
        percent: float | None,
        usage: ApiUsage | None,
        objects: int,
        reports: int,
        classified: int,
        what: str = "import",
    ) -> None:
        """Refuse before any describe or COUNT() when the calls planning needs would not fit
        in what the budget leaves: planning would otherwise spend the org's last calls."""
        if percent is None:
            percent = self.settings.api_budget_percent
        allowed = budget.budget_calls(usage, percent)
        needed = budget.planning_calls(objects, reports) + classified
        if usage is None or allowed is None or needed <= allowed:
            return
        raise BudgetExceeded(
            f"Planning this {what} needs {needed:,} API calls (a describe and a COUNT() per "
            f"object, the field classification of each concealed by default, up to "
            f"{budget.PLAN_CALLS_PER_REPORT} per report) "
            f"but its budget leaves {allowed:,}: the org has used "
            f"{usage.used:,} of its {usage.max:,} daily calls and the budget lets usage reach "
            f"{percent:g}% ({budget.ceiling_calls(usage.max, percent):,}). Nothing was read.",
        )

    def _plan_object(
        self,
        client: SalesforceClient,
        spec: ImportSpec,
        choice: ObjectChoice,
        start: datetime | None,
        used: set[str] | None = None,
    ) -> PlannedDataset:
        self._check_supported(choice.name)
        described = self._describe(client, choice.name)
        name = described["name"]
        fields = [FieldSpec.from_describe(cast(dict[str, Any], f)) for f in described["fields"]]
        selection = select_fields(fields, choice.fields)
        cursor = selection.cursor_field
        expected = client.rest.count(count_soql(name, cursor, start))
        classified: dict[str, Classification] = {}

        def defaults() -> tuple[str, ...]:
            classified.update(self._classifications(client, name))
            return default_concealed_columns(selection.fields, name, classified, described=fields)

        concealed = self._concealed_for(spec, (choice.name, name), defaults, used)
        known = set(selection.names)
        for column in concealed:
            if column not in known:
                raise unknown_conceal_target(column, known, f"imported field of {name}")
        # Chosen by default, a person account's Name is concealed in its own rows only; a
        # column the person named is concealed in every row.
        by_default = next((spec.conceal[k] for k in (choice.name, name) if k in spec.conceal), ())
        return plan_object(
            name,
            selection,
            expected_rows=expected,
            has_start_date=start is not None,
            concealed=concealed,
            concealed_in_person_rows=person_account_rows(
                selection.fields, name, concealed, classified
            )
            if by_default is None
            else (),
        )

    def _plan_report(
        self, client: SalesforceClient, spec: ImportSpec, ref: str, used: set[str] | None = None
    ) -> PlannedDataset:
        found = self._find_report(spec.connection, ref, required=True)
        assert found is not None
        report_id, report_name = found
        try:
            describe: ReportDescribe = client.reports.describe(report_id)
        except ResourceNotFound as error:
            raise _no_report(ref) from error
        columns = report_columns(describe)
        # A summary-only run (no details) is cheap and gives the report's own row count. It is
        # an asynchronous instance, as the import's runs are, polled a few times only: a report
        # Salesforce runs for minutes is planned without its count (the import checks it).
        summary = run_instance(
            client,
            report_id,
            None,
            include_details=False,
            sleep=self._pause,
            polls_max=budget.PLAN_REPORT_POLLS,
        )
        expected = grand_total(summary) if summary is not None else None
        concealed = self._concealed_for(
            spec,
            (ref, report_id, report_name),
            lambda: default_concealed_report_columns(columns),
            used,
        )
        labels = {c.label for c in columns}
        for column in concealed:
            if column not in labels:
                raise unknown_conceal_target(column, labels, "column in the report")
        name = suggest_name(report_name or describe["reportMetadata"].get("name", report_id))
        return plan_report(
            report_id,
            name,
            list(columns),
            expected_rows=expected,
            concealed=concealed,
            still_running=summary is None,
        )

    @staticmethod
    def _check_conceal_targets(
        spec: ImportSpec,
        planned: Sequence[PlannedDataset] = (),
        used: Collection[str] = (),
        *,
        after_planning: bool,
    ) -> None:
        """Refuse a conceal target that names no data set of this import: a typo would
        otherwise import personal data in the clear. Before planning, a name that cannot match
        anything is refused at once (a report may still be named by its id or title, so with
        reports the last word waits for planning), and no API call is spent on it."""
        named = {c.name for c in spec.objects} | set(spec.reports) | {p.name for p in planned}
        # Salesforce matches object names in any case, so "-o lead --conceal Lead" may still fit.
        maybe = {n.lower() for n in named}
        for target in spec.conceal:
            if target in used or (not after_planning and (spec.reports or target.lower() in maybe)):
                continue
            raise unknown_conceal_target(target, named, "data set in this import")

    @staticmethod
    def _concealed_for(
        spec: ImportSpec,
        keys: tuple[str, ...],
        defaults: Callable[[], tuple[str, ...]],
        used: set[str] | None = None,
    ) -> tuple[str, ...]:
        for key in keys:
            if key in spec.conceal:
                if used is not None:
                    used.add(key)
                columns = spec.conceal[key]
                return defaults() if columns is None else tuple(columns)
        return ()

    def plan_refreshes(
        self,
        datasets: list[str] | None,
        *,
        all: bool = False,
        without: dict[str, frozenset[str]] | None = None,
        whole: bool = False,
    ) -> list[ImportPlan]:
        """Plans that bring data sets up to date, one per connection and folder: changes since
        the last import for objects with a cursor (``whole`` reads them again whole), reports and
        cursorless objects whole; ``without`` leaves named fields out per data set."""
        with self._before_any_run():
            return self._plan_refreshes(datasets, all=all, without=without, whole=whole)

    def _plan_refreshes(
        self,
        datasets: list[str] | None,
        *,
        all: bool,
        without: dict[str, frozenset[str]] | None,
        whole: bool,
    ) -> list[ImportPlan]:
        if all:
            # A pipe's output is rebuilt by its pipe after each publish, not read from Salesforce.
            chosen = [d for d in self._mydata.list_datasets() if d.kind != "pipe"]
        elif datasets:
            chosen = [self._dataset(name) for name in datasets]
            for dataset in chosen:
                if dataset.kind == "pipe":
                    raise UsageError(
                        f"{dataset.folder}.{dataset.name} is a pipe's output, not a Salesforce "
                        "import: it is rebuilt after each refresh of what it reads.",
                        remedy=f"Rebuild it now with 'sfimport pipe run "
                        f'"{dataset.folder}.{dataset.name}"\'.',
                    )
        else:
            raise UsageError("Name the data sets to refresh, or refresh all of them.")
        groups: dict[tuple[str, str], list[Dataset]] = {}
        for dataset in chosen:
            groups.setdefault((dataset.connection, dataset.folder), []).append(dataset)
        plans = []
        for (connection, folder), members in groups.items():
            client = self.client(connection)
            planned: list[PlannedDataset] = []
            start_dates = {d.start_date for d in members if d.start_date is not None}
            budget_percent: float | None = None
            classified = 0
            for dataset in members:
                last = self._last_spec(dataset)
                if last is not None and last.budget_percent is not None:
                    budget_percent = last.budget_percent
                if dataset.kind != "report":
                    classified += self._refresh_choice(dataset, last).default_concealment
            # As for an import: the limits first, and no describe/COUNT() the budget lacks.
            before = self._limits_usage(client) or client.usage
            reports = sum(1 for d in members if d.kind == "report")
            self._check_planning_budget(
                budget_percent, before, len(members) - reports, reports, classified, "refresh"
            )
            # One read of every data set's options (formula schedule), not one per data set.
            all_options = self._mydata.all_options()
            every_field: dict[str, bool] = {}
            default_concealment: dict[str, bool] = {}
            for dataset in members:
                last = self._last_spec(dataset)
                if last is not None and last.budget_percent is not None:
                    budget_percent = last.budget_percent
                if dataset.kind == "report":
                    report = self._plan_report(client, self._report_spec(dataset), dataset.source)
                    planned.append(replace(report, name=dataset.name))
                    continue
                options = all_options.get(dataset.id) or DatasetOptions()
                choice = replace(
                    self._refresh_choice(dataset, last),
                    formulas_every=options.formulas_every,
                    formulas_refreshed_at=options.formulas_refreshed_at,
                    now=self._clock(),
                )
                every_field[dataset.source] = choice.all_fields
                default_concealment[dataset.source] = choice.default_concealment
                if without and dataset.name in without:
                    choice = replace(choice, without=choice.without | without[dataset.name])
                if whole:
                    reread = replace(dataset, high_water_mark=None)
                    planned.append(plan_object_refresh(client, reread, choice))
                else:
                    planned.append(plan_object_refresh(client, dataset, choice))
            spec = ImportSpec(
                connection=connection,
                folder=folder,
                start_date=min(start_dates) if start_dates else None,
                # A data set imported with every field keeps taking every field.
                objects=tuple(
                    ObjectChoice(d.source, None if every_field.get(d.source) else tuple(d.fields))
                    for d in planned
                    if d.kind == "object"
                ),
                reports=tuple(d.source for d in planned if d.kind == "report"),
                # Default concealment stays "default", so personal fields that appear later
                # are concealed too (a written-out list would leave them raw).
                conceal={
                    d.source: None if default_concealment.get(d.source) else tuple(d.concealed)
                    for d in planned
                    if d.concealed or default_concealment.get(d.source)
                },
                budget_percent=budget_percent,
            )
            extra = 1 + budget.REPORT_PLAN_EXTRA * reports + classified
            if before is None:
                before, extra = client.usage, 0
            plans.append(
                assemble_plan(
                    spec,
                    planned,
                    before,
                    default_budget_percent=self.settings.api_budget_percent,
                    created_at=self._clock(),
                    instance_url=client.instance_url,
                    planning_extra=extra,
                )
            )
        return plans

    def _last_spec(self, dataset: Dataset) -> ImportSpec | None:
        text = self._ledger.last_spec_toml(dataset.folder, dataset.name)
        if not text:
            return None
        try:
            return ImportSpec.from_toml(text)
        except SfimportError:
            return None

    @staticmethod
    def _refresh_choice(dataset: Dataset, last: ImportSpec | None) -> RefreshChoice:
        if last is None:
            return RefreshChoice()
        choice = next((o for o in last.objects if o.name.lower() == dataset.source.lower()), None)
        defaults = dataset.source in last.conceal and last.conceal[dataset.source] is None
        if choice is None:
            return RefreshChoice(default_concealment=defaults)
        return RefreshChoice(all_fields=choice.fields is None, default_concealment=defaults)

    @staticmethod
    def _report_spec(dataset: Dataset) -> ImportSpec:
        return ImportSpec(
            connection=dataset.connection,
            folder=dataset.folder,
            reports=(dataset.source,),
            conceal={dataset.source: tuple(dataset.concealed)} if dataset.concealed else {},
        )


def _classified(spec: ImportSpec) -> int:
    """Objects concealed by default: planning reads their field classification (one call)."""
    return sum(1 for c in spec.objects if c.name in spec.conceal and spec.conceal[c.name] is None)
