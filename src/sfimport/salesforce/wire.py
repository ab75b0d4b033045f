"""Typed shapes of the JSON Salesforce sends and receives, exactly as on the wire.

Keys keep Salesforce's own casing. Only the keys sfimport reads are declared; real responses
carry many more, which pass through untouched. Nothing here validates: parsing is a ``cast``
after a check of the top-level JSON type in :mod:`sfimport.salesforce.client`.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

# --- OAuth and identity ---------------------------------------------------------------------


class TokenResponse(TypedDict):
    """``POST /services/oauth2/token`` success body (authorization_code or refresh_token grant)."""

    access_token: str
    instance_url: str
    #: The identity URL, ``https://<login host>/id/<orgId18>/<userId18>``.
    id: str
    token_type: str
    #: Epoch milliseconds, as a string.
    issued_at: str
    signature: NotRequired[str]
    #: Only when the ``refresh_token`` scope was granted (or on rotation for refresh grants).
    refresh_token: NotRequired[str]
    scope: NotRequired[str]
    id_token: NotRequired[str]


class OAuthErrorBody(TypedDict):
    """Error body of every ``/services/oauth2/*`` endpoint: an object, never an array."""

    error: str
    error_description: NotRequired[str]


class Identity(TypedDict):
    """``GET <identity URL>``: who the token belongs to."""

    id: str
    user_id: str
    organization_id: str
    username: str
    display_name: NotRequired[str]
    email: NotRequired[str]
    active: NotRequired[bool]
    user_type: NotRequired[str]
    urls: NotRequired[dict[str, str]]


# --- REST basics ----------------------------------------------------------------------------


class RestErrorItem(TypedDict):
    """One element of a REST/Bulk/Analytics error body, which is always a JSON array."""

    message: str
    errorCode: str
    fields: NotRequired[list[str]]


class ApiVersion(TypedDict):
    """One entry of ``GET /services/data/``."""

    label: str
    url: str
    version: str


# --- Describe -------------------------------------------------------------------------------


class GlobalSObject(TypedDict):
    """One object of ``GET /sobjects`` (describeGlobal)."""

    name: str
    label: str
    labelPlural: str
    keyPrefix: str | None
    custom: bool
    customSetting: bool
    queryable: bool
    retrieveable: bool
    replicateable: bool
    deprecatedAndHidden: bool
    createable: bool
    updateable: bool
    deletable: bool
    searchable: bool
    layoutable: bool
    associateEntityType: NotRequired[str | None]
    associateParentEntity: NotRequired[str | None]
    urls: dict[str, str]


class GlobalDescribe(TypedDict):
    encoding: str
    maxBatchSize: int
    sobjects: list[GlobalSObject]


class PicklistValue(TypedDict):
    active: bool
    defaultValue: bool
    label: str | None
    validFor: str | None
    value: str


class FieldDescribe(TypedDict):
    """A field of an sObject describe. Fields the user cannot read are absent from the list."""

    name: str
    label: str
    type: str
    soapType: str
    length: int
    byteLength: int
    precision: int
    scale: int
    digits: int
    nillable: bool
    calculated: bool
    custom: bool
    externalId: bool
    idLookup: bool
    filterable: bool
    sortable: bool
    groupable: bool
    compoundFieldName: str | None
    referenceTo: list[str]
    relationshipName: str | None
    picklistValues: list[PicklistValue]
    extraTypeInfo: str | None
    deprecatedAndHidden: bool
    defaultValue: Any


class ChildRelationship(TypedDict):
    childSObject: str
    field: str
    relationshipName: str | None
    cascadeDelete: bool


class RecordTypeInfo(TypedDict):
    name: str
    developerName: NotRequired[str]
    recordTypeId: str
    active: NotRequired[bool]
    available: bool
    master: bool


class SObjectDescribe(TypedDict):
    """``GET /sobjects/{name}/describe``."""

    name: str
    label: str
    labelPlural: str
    keyPrefix: str | None
    custom: bool
    queryable: bool
    replicateable: bool
    retrieveable: bool
    fields: list[FieldDescribe]
    childRelationships: list[ChildRelationship]
    recordTypeInfos: list[RecordTypeInfo]
    urls: dict[str, str]


# --- SOQL -----------------------------------------------------------------------------------


class RecordAttributes(TypedDict):
    type: str
    #: Absent on AggregateResult rows.
    url: NotRequired[str]


#: A record as the REST API returns it: ``attributes`` plus one key per selected field, in
#: SELECT order. Values are JSON scalars, nested parent records, nested child query results
#: (``null`` when there are no children) or compound address/location objects.
Record = dict[str, Any]


class QueryResult(TypedDict):
    """One page of ``GET /query`` or ``/queryAll``."""

    #: The whole result's size, not this page's; for ``SELECT COUNT()`` it is the count.
    totalSize: int
    done: bool
    records: list[Record]
    #: A path to join to the instance URL; absent (not null) on the last page.
    nextRecordsUrl: NotRequired[str]


class UpdatedResult(TypedDict):
    """``GET /sobjects/{name}/updated/?start=&end=``."""

    ids: list[str]
    latestDateCovered: str


class DeletedRecord(TypedDict):
    id: str
    deletedDate: str


class DeletedResult(TypedDict):
    """``GET /sobjects/{name}/deleted/?start=&end=``."""

    deletedRecords: list[DeletedRecord]
    earliestDateAvailable: str
    latestDateCovered: str


# --- Limits ---------------------------------------------------------------------------------


class LimitValue(TypedDict):
    """One ``/limits`` entry. Some entries also nest per-app entries under app-name keys."""

    Max: int
    Remaining: int


#: ``GET /limits``: limit name -> ``{Max, Remaining}``.
Limits = dict[str, LimitValue]


class RecordCount(TypedDict):
    count: int
    name: str


class RecordCountResult(TypedDict):
    """``GET /limits/recordCount``; objects with a zero (cached) count are absent."""

    sObjects: list[RecordCount]


# --- Bulk API 2.0 ---------------------------------------------------------------------------


class BulkQueryJobRequest(TypedDict):
    operation: str
    query: str
    contentType: str
    columnDelimiter: str
    lineEnding: str


class BulkJobInfo(TypedDict):
    """``POST /jobs/query`` and ``GET /jobs/query/{id}``."""

    id: str
    operation: str
    object: str
    state: str
    #: A JSON number (``57.0``), unlike the ``vNN.N`` strings in URLs.
    apiVersion: float
    createdDate: NotRequired[str]
    systemModstamp: NotRequired[str]
    concurrencyMode: NotRequired[str]
    contentType: NotRequired[str]
    lineEnding: NotRequired[str]
    columnDelimiter: NotRequired[str]
    jobType: NotRequired[str]
    numberRecordsProcessed: NotRequired[int]
    retries: NotRequired[int]
    totalProcessingTime: NotRequired[int]
    errorMessage: NotRequired[str]


# --- Reports and Dashboards API ---------------------------------------------------------------


class ReportListItem(TypedDict):
    """One entry of ``GET /analytics/reports`` (the user's recently viewed reports)."""

    id: str
    name: str
    url: str
    describeUrl: str
    instancesUrl: str


class ReportRecord(TypedDict):
    """A ``Report`` sObject row, as listed through SOQL."""

    attributes: RecordAttributes
    Id: str
    Name: str
    DeveloperName: str
    FolderName: str | None
    Format: str | None
    Description: NotRequired[str | None]
    LastRunDate: NotRequired[str | None]
    LastModifiedDate: NotRequired[str | None]


class ReportFilter(TypedDict):
    column: str
    operator: str
    value: str


class ReportType(TypedDict):
    label: str
    type: str


class ReportMetadata(TypedDict, total=False):
    """``reportMetadata``; also the body of a run with overrides (send only what changes)."""

    id: str
    name: str
    developerName: str
    reportFormat: str
    reportType: ReportType
    detailColumns: list[str]
    aggregates: list[str]
    groupingsDown: list[dict[str, Any]]
    groupingsAcross: list[dict[str, Any]]
    reportFilters: list[ReportFilter]
    reportBooleanFilter: str | None
    standardDateFilter: dict[str, Any]
    sortBy: list[dict[str, Any]]
    currency: str | None
    folderId: str
    hasDetailRows: bool
    topRows: dict[str, Any] | None


class ColumnInfo(TypedDict):
    label: str
    dataType: str


class ReportExtendedMetadata(TypedDict):
    detailColumnInfo: dict[str, ColumnInfo]
    aggregateColumnInfo: dict[str, ColumnInfo]
    groupingColumnInfo: dict[str, Any]


class ReportDescribe(TypedDict):
    """``GET /analytics/reports/{id}/describe``."""

    reportMetadata: ReportMetadata
    reportExtendedMetadata: ReportExtendedMetadata
    reportTypeMetadata: dict[str, Any]


class DataCell(TypedDict):
    #: Lookups carry the record id; currency is ``{amount, currency}``; empty cells ``null``.
    value: Any
    label: str


class ReportRow(TypedDict):
    dataCells: list[DataCell]


class AggregateCell(TypedDict):
    value: Any
    label: str


class FactMapEntry(TypedDict):
    aggregates: list[AggregateCell]
    rows: NotRequired[list[ReportRow]]


class Grouping(TypedDict):
    key: str
    label: str
    value: Any
    groupings: list[Grouping]


class Groupings(TypedDict):
    groupings: list[Grouping]


class ReportAttributes(TypedDict):
    type: str
    reportId: str
    reportName: str
    describeUrl: str
    instancesUrl: str


class ReportRun(TypedDict):
    """A synchronous run: ``GET|POST /analytics/reports/{id}?includeDetails=true``."""

    attributes: ReportAttributes
    #: False when the detail rows were cut at Salesforce's 2,000-row limit.
    allData: bool
    hasDetailRows: bool
    #: Keys ``T!T`` (tabular), ``0!T``/``0_1!T`` (summary), ``<row>!<col>`` (matrix).
    factMap: dict[str, FactMapEntry]
    groupingsDown: Groupings
    groupingsAcross: Groupings
    reportMetadata: ReportMetadata
    reportExtendedMetadata: ReportExtendedMetadata


class ReportInstance(TypedDict):
    """An asynchronous run: ``POST /analytics/reports/{id}/instances`` answers this, and
    ``GET .../instances/{instanceId}`` carries it as ``attributes`` (``type``
    ``ReportInstance``), followed by the run's body once ``status`` is ``Success``."""

    id: str
    #: ``New`` | ``Running`` | ``Success`` | ``Error``.
    status: str
    requestDate: str
    completionDate: str | None
    ownerId: str
    url: NotRequired[str | None]
    hasDetailRows: NotRequired[bool]
