"""The catalog of a connection: objects, reports, fields, and how concealment looks."""

from __future__ import annotations

from typing import Any, cast

import pyarrow as pa

from sfimport.app.core import Core
from sfimport.app.values import ObjectEntry, _no_report
from sfimport.errors import (
    ResourceNotFound,
)
from sfimport.extract.catalog import (
    CatalogReport,
    load_catalog,
)
from sfimport.extract.conceal import (
    concealment_reason,
    default_concealment,
    sample_rows,
)
from sfimport.extract.reports import (
    default_concealed_report_columns,
    report_columns,
    report_schema,
)
from sfimport.extract.schema import FieldSpec, field_sf_type, select_fields
from sfimport.salesforce.redaction import redacting_logger

logger = redacting_logger(__name__)


class CatalogService(Core):
    """The catalog of a connection: objects, reports, fields, and how concealment looks."""

    def list_objects(self, connection: str, search: str | None = None) -> list[ObjectEntry]:
        catalog = load_catalog(self.client(connection), include_reports=False)
        if search:
            catalog = catalog.search(search)
        return [ObjectEntry(o.name, o.label, o.custom) for o in catalog.objects]

    def list_reports(self, connection: str, search: str | None = None) -> list[CatalogReport]:
        """Reports this connection can run (id, name, developer_name, folder, format)."""
        catalog = load_catalog(self.client(connection))
        if catalog.reports_unavailable and not catalog.reports:
            logger.info("Reports unavailable for %s: %s", connection, catalog.reports_unavailable)
        if search:
            catalog = catalog.search(search)
        return list(catalog.reports)

    def record_counts(self, connection: str) -> dict[str, int]:
        """Salesforce's approximate record count per object (``/limits/recordCount``, one API
        call); objects Salesforce counts as empty are absent."""
        return self.client(connection).rest.record_counts()

    def list_fields(self, connection: str, sobject: str) -> list[FieldSpec]:
        self._check_supported(sobject)
        described = self._describe(self.client(connection), sobject)
        return [FieldSpec.from_describe(cast(dict[str, Any], f)) for f in described["fields"]]

    def default_concealed_columns(self, connection: str, dataset: str) -> list[str]:
        return list(self._concealable(connection, dataset)[1])

    def default_concealment_reasons(self, connection: str, dataset: str) -> dict[str, str]:
        """Column -> why it is concealed by default: the org's classification of the field
        (FieldDefinition), else its type or name (email, phone, date of birth...)."""
        return dict(self._concealable(connection, dataset)[1])

    def conceal_sample(
        self,
        connection: str,
        dataset: str,
        columns: list[str] | None = None,
        rows: int = 3,
    ) -> list[dict[str, tuple[str | None, str | None]]]:
        """How concealed values look, from made-up inputs (never the org's data): per row,
        column -> (a value like, how it is stored). ``dataset`` is an object or a report;
        ``columns`` default to the data set's default concealed columns; unknown columns are
        left out."""
        available, defaults = self._concealable(connection, dataset)
        chosen = set(defaults if columns is None else columns)
        picked = [column for column in available if column[0] in chosen]
        return [dict(row) for row in sample_rows(picked, rows)]

    def _concealable(
        self, connection: str, dataset: str
    ) -> tuple[list[tuple[str, str, pa.DataType]], dict[str, str]]:
        """A data set's columns as (name, Salesforce type, Arrow type), and those concealed
        by default with why. A report's columns are its labels, typed from its describe."""
        report = self._find_report(connection, dataset, required=False)
        if report is not None:
            try:
                describe = self.client(connection).reports.describe(report[0])
            except ResourceNotFound as error:
                raise _no_report(dataset) from error
            described = report_columns(describe)
            schema = report_schema(described)
            typed = [(f.name, field_sf_type(f), f.type) for f in schema]
            defaults = default_concealed_report_columns(described)
            return typed, {c: concealment_reason(c) for c in defaults}
        selection = select_fields(self.list_fields(connection, dataset))
        typed = [(f.name, f.sf_type, f.arrow_type) for f in selection.fields]
        client = self.client(connection)
        classified = self._classifications(client, dataset)
        return typed, default_concealment(selection.fields, dataset, classified)
