"""Reports of the demo org for the Reports and Dashboards API: report types over the seeded
objects, reports in folders (tabular, summary, matrix), the `Report` sObject, the recent list
and describe. Running them is `report_run`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sfimport.emulator.currencies import report_currency
from sfimport.emulator.errors import SalesforceApiError
from sfimport.emulator.ids import mint_id
from sfimport.emulator.org import Org, User
from sfimport.emulator.schema import SETUP_OBJECT_FLAGS, FieldSpec, ObjectSpec, flags

RUN_REPORTS = "PermissionsRunReports"
NUMERIC_TYPES = frozenset({"int", "double", "currency", "percent"})
_TEXT_OPERATORS = frozenset({"contains", "notContain", "startsWith", "includes", "excludes"})
OPERATORS = frozenset(
    {"equals", "notEqual", "lessThan", "greaterThan", "lessOrEqual", "greaterOrEqual"}
    | _TEXT_OPERATORS
)


@dataclass(frozen=True)
class ReportColumn:
    """A column of a report type: its API name, label, type and where its value comes from.

    Lookup columns show a name (`path`) and carry the record id (`id_path`) as their value.
    """

    name: str
    label: str
    data_type: str
    path: str
    id_path: str | None = None


@dataclass(frozen=True)
class ReportType:
    type: str
    label: str
    sobject: str
    columns: tuple[ReportColumn, ...]

    def column(self, name: str) -> ReportColumn | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class ReportDefinition:
    """A saved report. `number` makes its id; the rest is its saved reportMetadata."""

    number: int
    name: str
    developer_name: str
    folder: str
    report_format: str
    report_type: ReportType
    detail_columns: tuple[str, ...]
    aggregates: tuple[str, ...] = ("RowCount",)
    groupings_down: tuple[tuple[str, str, str], ...] = ()
    groupings_across: tuple[tuple[str, str, str], ...] = ()
    filters: tuple[tuple[str, str, str], ...] = ()
    boolean_filter: str | None = None
    date_filter: tuple[str, str, str | None, str | None] | None = None
    sort_by: tuple[str, str] | None = None
    description: str = ""
    last_run: datetime = field(default=datetime(2026, 2, 20, 9, 30, tzinfo=UTC))
    #: A joined report (MULTI_BLOCK): its blocks, each a report of its own type, B0, B1, ...
    blocks: tuple[ReportDefinition, ...] = ()

    @property
    def id(self) -> str:
        return mint_id("00O", self.number)

    @property
    def folder_id(self) -> str:
        return mint_id("00l", 1 + sorted({d.folder for d in DEMO_REPORTS}).index(self.folder))

    @property
    def sobject_format(self) -> str:
        # The Report sObject says MultiBlock where reportMetadata says MULTI_BLOCK.
        return "MultiBlock" if self.blocks else self.report_format.title()

    def metadata(self) -> dict[str, Any]:
        """The saved `reportMetadata`; a joined report's names its blocks' columns and
        aggregates with the block's prefix (``B0#AMOUNT``, ``B1#RowCount``)."""
        if self.blocks:
            joined = {
                **self.blocks[0].metadata(),
                "aggregates": [
                    f"B{i}#{a}" for i, block in enumerate(self.blocks) for a in block.aggregates
                ],
                "detailColumns": [
                    f"B{i}#{c}" for i, block in enumerate(self.blocks) for c in block.detail_columns
                ],
                "description": self.description or None,
                "developerName": self.developer_name,
                "folderId": self.folder_id,
                "groupingsAcross": [],
                "groupingsDown": [],
                "id": self.id,
                "name": self.name,
                "reportBooleanFilter": None,
                "reportFilters": [],
                "reportFormat": "MULTI_BLOCK",
                "sortBy": [],
                "standardDateFilter": None,
            }
            return joined
        return self._own_metadata()

    def _own_metadata(self) -> dict[str, Any]:
        date_filter = None
        if self.date_filter is not None:
            name, duration, start, end = self.date_filter
            date_filter = {
                "column": name,
                "durationValue": duration,
                "endDate": end,
                "startDate": start,
            }
        return {
            "aggregates": list(self.aggregates),
            "buckets": [],
            "chart": None,
            "crossFilters": [],
            "currency": None,
            "customDetailFormula": {},
            "customSummaryFormula": {},
            "dashboardSetting": None,
            "description": self.description or None,
            "detailColumns": list(self.detail_columns),
            "developerName": self.developer_name,
            "division": None,
            "folderId": self.folder_id,
            "groupingsAcross": [_grouping(g) for g in self.groupings_across],
            "groupingsDown": [_grouping(g) for g in self.groupings_down],
            "hasDetailRows": True,
            "hasRecordCount": True,
            "historicalSnapshotDates": [],
            "id": self.id,
            "name": self.name,
            "presentationOptions": {"hasStackedSummaries": True},
            "reportBooleanFilter": self.boolean_filter,
            "reportFilters": [
                {"column": c, "filterType": "fieldValue", "isRunPageEditable": True}
                | {"operator": o, "value": v}
                for c, o, v in self.filters
            ],
            "reportFormat": self.report_format,
            "reportType": {"label": self.report_type.label, "type": self.report_type.type},
            "scope": "organization",
            "showGrandTotal": True,
            "showSubtotals": True,
            "sortBy": (
                []
                if self.sort_by is None
                else [{"sortColumn": self.sort_by[0], "sortOrder": self.sort_by[1]}]
            ),
            "standardDateFilter": date_filter,
            "standardFilters": [],
            "supportsRoleHierarchy": False,
            "topRows": None,
            "userOrHierarchyFilterId": None,
        }


def _grouping(entry: tuple[str, str, str]) -> dict[str, Any]:
    name, order, granularity = entry
    return {"dateGranularity": granularity, "name": name, "sortAggregate": None, "sortOrder": order}


C = ReportColumn
OPPORTUNITIES = ReportType(
    "Opportunity",
    "Opportunities",
    "Opportunity",
    (
        C("OPPORTUNITY_NAME", "Opportunity Name", "string", "Name", "Id"),
        C("ACCOUNT_NAME", "Account Name", "string", "Account.Name", "AccountId"),
        C("FULL_NAME", "Opportunity Owner", "string", "Owner.Name", "OwnerId"),
        C("AMOUNT", "Amount", "currency", "Amount"),
        C("STAGE_NAME", "Stage", "picklist", "StageName"),
        C("PROBABILITY", "Probability (%)", "percent", "Probability"),
        C("CLOSE_DATE", "Close Date", "date", "CloseDate"),
        C("TYPE", "Type", "picklist", "Type"),
        C("LEAD_SOURCE", "Lead Source", "picklist", "LeadSource"),
        C("WON", "Won", "boolean", "IsWon"),
        C("CREATED_DATE", "Created Date", "datetime", "CreatedDate"),
    ),
)
CONTACTS = ReportType(
    "ContactList",
    "Contacts & Accounts",
    "Contact",
    (
        C("CONTACT_ID", "Contact ID", "id", "Id"),
        C("FIRST_NAME", "First Name", "string", "FirstName"),
        C("LAST_NAME", "Last Name", "string", "LastName"),
        C("TITLE", "Title", "string", "Title"),
        C("EMAIL", "Email", "email", "Email"),
        C("PHONE1", "Phone", "phone", "Phone"),
        C("ACCOUNT.NAME", "Account Name", "string", "Account.Name", "AccountId"),
        C("OWNER_FULL_NAME", "Contact Owner", "string", "Owner.Name", "OwnerId"),
        C("BIRTHDATE", "Birthdate", "date", "Birthdate"),
        C("LEAD_SOURCE", "Lead Source", "picklist", "LeadSource"),
        C("CREATED_DATE", "Created Date", "datetime", "CreatedDate"),
    ),
)
ACCOUNTS = ReportType(
    "AccountList",
    "Accounts",
    "Account",
    (
        C("ACCOUNT.NAME", "Account Name", "string", "Name", "Id"),
        C("USERS.NAME", "Account Owner", "string", "Owner.Name", "OwnerId"),
        C("TYPE", "Type", "picklist", "Type"),
        C("INDUSTRY", "Industry", "picklist", "Industry"),
        C("RATING", "Rating", "picklist", "Rating"),
        C("SALES", "Annual Revenue", "currency", "AnnualRevenue"),
        C("EMPLOYEES", "Employees", "int", "NumberOfEmployees"),
        C("CREATED_DATE", "Created Date", "datetime", "CreatedDate"),
    ),
)
LEADS = ReportType(
    "LeadList",
    "Leads",
    "Lead",
    (
        C("FIRST_NAME", "First Name", "string", "FirstName"),
        C("LAST_NAME", "Last Name", "string", "LastName"),
        C("COMPANY", "Company / Account", "string", "Company"),
        C("LEAD_SOURCE", "Lead Source", "picklist", "LeadSource"),
        C("STATUS", "Lead Status", "picklist", "Status"),
        C("EMAIL", "Email", "email", "Email"),
        C("CREATED_DATE", "Create Date", "date", "CreatedDate"),
    ),
)
CASES = ReportType(
    "CaseList",
    "Cases",
    "Case",
    (
        C("CASE_NUMBER", "Case Number", "string", "CaseNumber", "Id"),
        C("SUBJECT", "Subject", "string", "Subject"),
        C("STATUS", "Status", "picklist", "Status"),
        C("PRIORITY", "Priority", "picklist", "Priority"),
        C("ORIGIN", "Case Origin", "picklist", "Origin"),
        C("ACCOUNT.NAME", "Account Name", "string", "Account.Name", "AccountId"),
        C("CREATED_DATE", "Date/Time Opened", "datetime", "CreatedDate"),
    ),
)
REPORT_TYPES = (OPPORTUNITIES, CONTACTS, ACCOUNTS, LEADS, CASES)

DEMO_REPORTS: tuple[ReportDefinition, ...] = (
    ReportDefinition(
        1,
        "Pipeline by Stage",
        "Pipeline_by_Stage",
        "Sales Reports",
        "SUMMARY",
        OPPORTUNITIES,
        ("OPPORTUNITY_NAME", "ACCOUNT_NAME", "AMOUNT", "CLOSE_DATE", "PROBABILITY", "FULL_NAME"),
        aggregates=("s!AMOUNT", "RowCount"),
        groupings_down=(("STAGE_NAME", "Asc", "None"),),
        sort_by=("CLOSE_DATE", "Asc"),
        description="Open and closed opportunities summed by stage.",
    ),
    ReportDefinition(
        2,
        "Pipeline by Stage and Close Month",
        "Pipeline_by_Stage_and_Close_Month",
        "Sales Reports",
        "MATRIX",
        OPPORTUNITIES,
        ("OPPORTUNITY_NAME", "AMOUNT", "TYPE", "FULL_NAME"),
        aggregates=("s!AMOUNT", "RowCount"),
        groupings_down=(("STAGE_NAME", "Asc", "None"),),
        groupings_across=(("CLOSE_DATE", "Asc", "Month"),),
        date_filter=("CLOSE_DATE", "CUSTOM", "2024-01-01", "2025-12-31"),
    ),
    ReportDefinition(
        3,
        "All Contacts",
        "All_Contacts",
        "Marketing Reports",
        "TABULAR",
        CONTACTS,
        (
            "FIRST_NAME",
            "LAST_NAME",
            "TITLE",
            "EMAIL",
            "ACCOUNT.NAME",
            "BIRTHDATE",
            "CREATED_DATE",
        ),
        date_filter=("CREATED_DATE", "CUSTOM", "2020-01-01", "2026-12-31"),
        description="Every contact: more rows than one synchronous run returns.",
    ),
    ReportDefinition(
        4,
        "Technology Accounts",
        "Technology_Accounts",
        "Sales Reports",
        "TABULAR",
        ACCOUNTS,
        ("ACCOUNT.NAME", "USERS.NAME", "TYPE", "RATING", "SALES", "EMPLOYEES", "CREATED_DATE"),
        aggregates=("s!SALES", "RowCount"),
        filters=(("INDUSTRY", "equals", "Technology"),),
        sort_by=("SALES", "Desc"),
    ),
    ReportDefinition(
        5,
        "Leads Created in 2025 by Source",
        "Leads_Created_in_2025_by_Source",
        "Marketing Reports",
        "SUMMARY",
        LEADS,
        ("FIRST_NAME", "LAST_NAME", "COMPANY", "STATUS", "CREATED_DATE"),
        groupings_down=(("LEAD_SOURCE", "Asc", "None"),),
        date_filter=("CREATED_DATE", "CUSTOM", "2025-01-01", "2025-12-31"),
    ),
    ReportDefinition(
        6,
        "Open Cases by Priority",
        "Open_Cases_by_Priority",
        "Service Reports",
        "SUMMARY",
        CASES,
        ("CASE_NUMBER", "SUBJECT", "STATUS", "ORIGIN", "ACCOUNT.NAME", "CREATED_DATE"),
        groupings_down=(("PRIORITY", "Asc", "None"), ("STATUS", "Asc", "None")),
        filters=(("STATUS", "notEqual", "Closed"), ("ORIGIN", "equals", "Web,Phone,Email")),
        boolean_filter="1 AND 2",
    ),
    ReportDefinition(
        7,
        "Accounts: Opportunities and Cases",
        "Accounts_Opportunities_and_Cases",
        "Sales Reports",
        "MULTI_BLOCK",
        OPPORTUNITIES,
        (),
        aggregates=(),
        description="A joined report: an opportunities block and a cases block.",
        blocks=(
            ReportDefinition(
                70,
                "Opportunities",
                "Opportunities_Block",
                "Sales Reports",
                "TABULAR",
                OPPORTUNITIES,
                ("OPPORTUNITY_NAME", "ACCOUNT_NAME", "AMOUNT", "CLOSE_DATE"),
                aggregates=("s!AMOUNT", "RowCount"),
            ),
            ReportDefinition(
                71,
                "Cases",
                "Cases_Block",
                "Sales Reports",
                "TABULAR",
                CASES,
                ("CASE_NUMBER", "SUBJECT", "STATUS", "ACCOUNT.NAME", "CREATED_DATE"),
                filters=(("STATUS", "notEqual", "Closed"),),
            ),
        ),
    ),
)


def report_by_id(report_id: str) -> ReportDefinition | None:
    wanted = report_id[:15]
    return next((d for d in DEMO_REPORTS if d.id[:15] == wanted), None)


# --- the Report sObject ------------------------------------------------------------------------


def _report_object() -> ObjectSpec:
    F = FieldSpec
    return ObjectSpec(
        "Report",
        "Report",
        "Reports",
        "00O",
        (
            F("Id", "id", "Report ID", nillable=False),
            F("OwnerId", "reference", "Owner ID", reference_to=("User",), nillable=False),
            F("IsDeleted", "boolean", "Deleted", nillable=False),
            F("Name", "string", "Report Name", length=40, name_field=True, nillable=False),
            F("Description", "string", "Description", length=255),
            F("DeveloperName", "string", "Report Unique Name", length=80, nillable=False),
            F("NamespacePrefix", "string", "Namespace Prefix", length=15),
            F("FolderName", "string", "Folder Name", length=40),
            F(
                "Format",
                "picklist",
                "Format",
                length=40,
                picklist=("Tabular", "Summary", "Matrix", "MultiBlock"),
                nillable=False,
            ),
            F("CreatedDate", "datetime", "Created Date", nillable=False),
            F(
                "CreatedById",
                "reference",
                "Created By ID",
                reference_to=("User",),
                relationship_name="CreatedBy",
                nillable=False,
            ),
            F("LastModifiedDate", "datetime", "Last Modified Date", nillable=False),
            F(
                "LastModifiedById",
                "reference",
                "Last Modified By ID",
                reference_to=("User",),
                relationship_name="LastModifiedBy",
                nillable=False,
            ),
            F("SystemModstamp", "datetime", "System Modstamp", nillable=False),
            F("LastRunDate", "datetime", "Last Run"),
            F("LastViewedDate", "datetime", "Last Viewed Date"),
            F("LastReferencedDate", "datetime", "Last Referenced Date"),
        ),
        flags(SETUP_OBJECT_FLAGS, replicateable=False, searchable=True, mruEnabled=True),
        owned=False,
    )


REPORT_OBJECT = _report_object()


def install_reports(org: Org) -> None:
    """Add the `Report` sObject and its rows (one per demo report) to `org`."""
    admin = next(iter(org.users.values())).id
    created = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)
    count = len(DEMO_REPORTS)
    stamps = [created + timedelta(days=d.number) for d in DEMO_REPORTS]
    kind = pa.timestamp("ms", tz="UTC")
    table = pa.table(
        {
            "Id": pa.array([d.id for d in DEMO_REPORTS]),
            "OwnerId": pa.array([admin] * count),
            "IsDeleted": pa.array([False] * count),
            "Name": pa.array([d.name for d in DEMO_REPORTS]),
            "Description": pa.array([d.description or None for d in DEMO_REPORTS], pa.string()),
            "DeveloperName": pa.array([d.developer_name for d in DEMO_REPORTS]),
            "NamespacePrefix": pa.nulls(count, pa.string()),
            "FolderName": pa.array([d.folder for d in DEMO_REPORTS]),
            "Format": pa.array([d.sobject_format for d in DEMO_REPORTS]),
            "CreatedDate": pa.array(stamps, kind),
            "CreatedById": pa.array([admin] * count),
            "LastModifiedDate": pa.array(stamps, kind),
            "LastModifiedById": pa.array([admin] * count),
            "SystemModstamp": pa.array(stamps, kind),
            "LastRunDate": pa.array([d.last_run for d in DEMO_REPORTS], kind),
            "LastViewedDate": pa.array([d.last_run for d in DEMO_REPORTS], kind),
            "LastReferencedDate": pa.array([d.last_run for d in DEMO_REPORTS], kind),
        }
    )
    org.objects[REPORT_OBJECT.name.lower()] = REPORT_OBJECT
    org.tables[REPORT_OBJECT.name] = table
    org.object_for_prefix["00O"] = REPORT_OBJECT.name


def require_run_reports(org: Org, user: User) -> None:
    if RUN_REPORTS not in org.permissions(user):
        raise SalesforceApiError(
            403, "FORBIDDEN", "You don't have sufficient privileges to perform this operation."
        )


def mark_run(org: Org, definition: ReportDefinition) -> None:
    table = org.tables.get(REPORT_OBJECT.name)
    if table is None:
        return
    now = org.clock.now().replace(microsecond=0)
    hit = pc.equal(table["Id"], definition.id)
    kind = table.schema.field("LastRunDate").type
    for name in ("LastRunDate", "LastViewedDate", "LastReferencedDate"):
        index = table.column_names.index(name)
        updated = pc.if_else(hit, pa.scalar(now, kind), table[name])
        table = table.set_column(index, name, updated)
    org.tables[REPORT_OBJECT.name] = table


# --- listing and describing --------------------------------------------------------------------


def report_urls(definition: ReportDefinition, version: str) -> dict[str, str]:
    root = f"/services/data/v{version}/analytics/reports/{definition.id}"
    return {"describeUrl": f"{root}/describe", "instancesUrl": f"{root}/instances", "url": root}


def recent_reports(org: Org, user: User, version: str) -> list[dict[str, Any]]:
    """`GET /analytics/reports`: recently run reports first (at most 200)."""
    require_run_reports(org, user)
    table = org.tables.get(REPORT_OBJECT.name)
    order = {d.id: d.last_run for d in DEMO_REPORTS}
    if table is not None:
        order.update(zip(table["Id"].to_pylist(), table["LastRunDate"].to_pylist(), strict=True))
    ranked = sorted(DEMO_REPORTS, key=lambda d: (order[d.id], -d.number), reverse=True)
    return [
        {
            "describeUrl": report_urls(d, version)["describeUrl"],
            "id": d.id,
            "instancesUrl": report_urls(d, version)["instancesUrl"],
            "name": d.name,
            "url": report_urls(d, version)["url"],
        }
        for d in ranked[:200]
    ]


_FILTER_OPERATORS = {
    "string": [
        *("equals", "notEqual", "lessThan", "greaterThan", "lessOrEqual", "greaterOrEqual"),
        *("contains", "notContain", "startsWith", "includes", "excludes"),
    ],
    "date": ["equals", "notEqual", "lessThan", "greaterThan", "lessOrEqual", "greaterOrEqual"],
}


def _operator_map() -> dict[str, list[dict[str, str]]]:
    labels = {
        "equals": "equals",
        "notEqual": "not equal to",
        "lessThan": "less than",
        "greaterThan": "greater than",
        "lessOrEqual": "less or equal",
        "greaterOrEqual": "greater or equal",
        "contains": "contains",
        "notContain": "does not contain",
        "startsWith": "starts with",
        "includes": "includes",
        "excludes": "excludes",
    }
    kinds = {
        "string": _FILTER_OPERATORS["string"],
        "picklist": ["equals", "notEqual", "contains", "notContain", "startsWith"],
        "email": _FILTER_OPERATORS["string"],
        "phone": _FILTER_OPERATORS["string"],
        "boolean": ["equals", "notEqual"],
        "date": _FILTER_OPERATORS["date"],
        "datetime": _FILTER_OPERATORS["date"],
        "currency": _FILTER_OPERATORS["date"],
        "int": _FILTER_OPERATORS["date"],
        "double": _FILTER_OPERATORS["date"],
        "percent": _FILTER_OPERATORS["date"],
    }
    return {
        kind: [{"label": labels[name], "name": name} for name in names]
        for kind, names in kinds.items()
    }


def describe_report(org: Org, user: User, report_id: str, version: str) -> dict[str, Any]:
    """`GET /analytics/reports/{id}/describe`."""
    require_run_reports(org, user)
    definition = definition_of(report_id)
    metadata = definition.metadata()
    report_currency(org, metadata)
    kind = definition.report_type
    picklists = _picklists(org, kind)
    return {
        "reportExtendedMetadata": definition_extended_metadata(definition, metadata),
        "reportMetadata": metadata,
        "reportTypeMetadata": {
            "categories": [
                {
                    "columns": {
                        c.name: {
                            "dataType": c.data_type,
                            "filterValues": [
                                {"label": v, "name": v} for v in picklists.get(c.name, ())
                            ],
                            "filterable": True,
                            "isLookup": c.id_path is not None and c.id_path != "Id",
                            "label": c.label,
                            "uniqueCountable": c.data_type not in NUMERIC_TYPES,
                        }
                        for c in kind.columns
                    },
                    "label": f"{kind.label} Fields",
                }
            ],
            "dataTypeFilterOperatorMap": _operator_map(),
            "divisionInfo": None,
            "scopeInfo": {
                "defaultValue": "organization",
                "values": [
                    {
                        "allowsDivision": False,
                        "label": f"All {kind.label.lower()}",
                        "value": "organization",
                    },
                    {"allowsDivision": False, "label": f"My {kind.label.lower()}", "value": "user"},
                ],
            },
            "standardDateFilterDurationGroups": [
                {
                    "label": "Calendar Year",
                    "standardDateFilterDurations": [
                        {"label": "Current CY", "value": "THIS_YEAR"},
                        {"label": "Previous CY", "value": "LAST_YEAR"},
                    ],
                },
                {
                    "label": "Calendar Month",
                    "standardDateFilterDurations": [
                        {"label": "This Month", "value": "THIS_MONTH"},
                        {"label": "Last Month", "value": "LAST_MONTH"},
                    ],
                },
                {
                    "label": "Day",
                    "standardDateFilterDurations": [
                        {"label": "Today", "value": "TODAY"},
                        {"label": "Last 30 Days", "value": "LAST_N_DAYS:30"},
                        {"label": "Last 90 Days", "value": "LAST_N_DAYS:90"},
                    ],
                },
            ],
            "standardFilterInfos": {},
        },
    }


def _picklists(org: Org, kind: ReportType) -> dict[str, tuple[str, ...]]:
    spec = org.objects[kind.sobject.lower()]
    out = {}
    for c in kind.columns:
        if c.data_type == "picklist":
            found = spec.field_named(c.path)
            if found is not None:
                out[c.name] = found.picklist
    return out


def definition_of(report_id: str) -> ReportDefinition:
    definition = report_by_id(report_id)
    if definition is None:
        raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return definition


def _aggregate_info(kind: ReportType, key: str) -> dict[str, Any]:
    if key == "RowCount":
        return {"dataType": "int", "label": "Record Count"}
    prefix, _, name = key.partition("!")
    col = kind.column(name)
    words = {"s": "Sum", "a": "Average", "m": "Smallest", "x": "Largest", "u": "Unique"}
    label = f"{words.get(prefix, 'Sum')} of {col.label if col else name}"
    data_type = "int" if prefix == "u" else (col.data_type if col else "double")
    return {"dataType": data_type, "label": label}


def definition_extended_metadata(
    definition: ReportDefinition, metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """`reportExtendedMetadata` of a report; a joined report's keys carry the block prefix."""
    if not definition.blocks:
        return extended_metadata(definition.report_type, metadata)
    merged: dict[str, Any] = {
        "aggregateColumnInfo": {},
        "detailColumnInfo": {},
        "groupingColumnInfo": {},
    }
    for index, block in enumerate(definition.blocks):
        info = extended_metadata(block.report_type, block.metadata())
        for part in ("aggregateColumnInfo", "detailColumnInfo"):
            merged[part].update({f"B{index}#{k}": v for k, v in info[part].items()})
    return merged


def extended_metadata(kind: ReportType, metadata: Mapping[str, Any]) -> dict[str, Any]:
    groupings = [*metadata["groupingsDown"], *metadata["groupingsAcross"]]
    grouping_info = {}
    for level, grouping in enumerate(metadata["groupingsDown"]):
        col = kind.column(grouping["name"])
        assert col is not None
        grouping_info[col.name] = {"dataType": col.data_type, "groupingLevel": level}
        grouping_info[col.name]["label"] = col.label
    for level, grouping in enumerate(metadata["groupingsAcross"]):
        col = kind.column(grouping["name"])
        assert col is not None
        grouping_info[col.name] = {
            "dataType": col.data_type,
            "groupingLevel": level,
            "label": col.label,
        }
    del groupings
    detail = {}
    for name in metadata["detailColumns"]:
        col = kind.column(name)
        if col is not None:
            detail[name] = {"dataType": col.data_type, "label": col.label}
    return {
        "aggregateColumnInfo": {
            key: {
                "acrossGroupingContext": None,
                "downGroupingContext": None,
                **_aggregate_info(kind, key),
            }
            for key in metadata["aggregates"]
        },
        "detailColumnInfo": detail,
        "groupingColumnInfo": grouping_info,
    }


# --- running ------------------------------------------------------------------------------------
