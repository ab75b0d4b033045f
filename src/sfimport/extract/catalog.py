"""The catalog of a connection: every object and report its user can import, searchable.

Objects are the queryable ones from describeGlobal, minus the product's unsupported list and
every ``*ChangeEvent``; reports are those the user can see, with their folder. Salesforce
already leaves out objects and fields the user may not read, so they are simply absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sfimport.errors import (
    ApiDisabled,
    InsufficientAccess,
    InvalidQuery,
    NotFound,
    NotSupportedObject,
    ResourceNotFound,
)
from sfimport.salesforce.client import SalesforceClient
from sfimport.salesforce.wire import GlobalSObject, ReportRecord

#: Objects the product never lists or imports (the product spec's list, kept in the package
#: because the spec folder does not ship). Any name ending in ChangeEvent is excluded too.
UNSUPPORTED_OBJECTS: frozenset[str] = frozenset(
    {
        "AcceptedEventRelation",
        "ActivityHistory",
        "AggregateResult",
        "Announcement",
        "AssetTokenEvent",
        "AttachedContentDocument",
        "AttachedContentNote",
        "CaseStatus",
        "CollaborationGroupRecord",
        "CombinedAttachment",
        "ContentBody",
        "ContentDocumentLink",
        "ContentFolderItem",
        "ContentFolderMember",
        "ContractStatus",
        "DataStatistics",
        "DeclinedEventRelation",
        "EmailStatus",
        "EntityParticle",
        "EventWhoRelation",
        "FeedLike",
        "FeedSignal",
        "FeedTrackedChange",
        "FieldDefinition",
        "FlexQueueItem",
        "FolderedContentDocument",
        "IdeaComment",
        "ListViewChartInstance",
        "LookedUpFromActivity",
        "Name",
        "NoteAndAttachment",
        "OpenActivity",
        "OutgoingEmail",
        "OutgoingEmailRelation",
        "OwnedContentDocument",
        "OwnerChangeOptionInfo",
        "PartnerRole",
        "PicklistValueInfo",
        "PlatformAction",
        "ProcessInstanceHistory",
        "QuoteTemplateRichTextData",
        "RecentlyViewed",
        "RelationshipDomain",
        "RelationshipInfo",
        "SearchLayout",
        "SiteDetail",
        "SolutionStatus",
        "TaskPriority",
        "TaskStatus",
        "TaskWhoRelation",
        "UndecidedEventRelation",
        "UserEntityAccess",
        "UserFieldAccess",
        "UserRecordAccess",
        "Vote",
    }
)
T = TypeVar("T")
_UNSUPPORTED_LOWER = frozenset(name.lower() for name in UNSUPPORTED_OBJECTS)


def is_supported_object(name: str) -> bool:
    """False for the unsupported list and every ``*ChangeEvent`` (API names are
    case-insensitive, so the comparison is too)."""
    lowered = name.lower()
    return lowered not in _UNSUPPORTED_LOWER and not lowered.endswith("changeevent")


def unsupported_object_error(name: str) -> NotSupportedObject | None:
    """Why ``name`` cannot be imported, with what to do instead; None when it can be."""
    if is_supported_object(name):
        return None
    if name.lower().endswith("changeevent"):
        # AccountChangeEvent announces Account; Invoice__ChangeEvent announces Invoice__c.
        source = name[: -len("ChangeEvent")]
        source = f"{source}c" if source.endswith("__") else source
        return NotSupportedObject(
            f"{name} is not supported: it is a change-event object (Change Data Capture), a "
            "stream of notifications about changes, not data stored in Salesforce.",
            remedy=f"Import the object whose changes it announces ({source or 'its object'}) "
            "instead; refreshes then bring in its changes.",
        )
    return NotSupportedObject(
        f"{name} is not supported: it is on sfimport's list of unsupported objects (from the "
        "product specification), which Salesforce does not let an import read like ordinary "
        "records.",
        remedy="Choose another object; the catalog lists only the objects that can be imported.",
    )


@dataclass(frozen=True)
class CatalogObject:
    name: str
    label: str
    label_plural: str
    custom: bool
    key_prefix: str | None


@dataclass(frozen=True)
class CatalogReport:
    id: str
    name: str
    developer_name: str
    folder: str | None
    format: str | None
    description: str | None = None
    last_run_date: str | None = None


@dataclass(frozen=True)
class Catalog:
    """What a connection can import. ``reports_unavailable`` says why reports are missing."""

    objects: tuple[CatalogObject, ...]
    reports: tuple[CatalogReport, ...]
    reports_unavailable: str | None = None

    def search(self, text: str) -> Catalog:
        """Objects and reports whose name or label contains ``text`` (any case), best first:
        exact matches, then prefixes, then the rest."""
        needle = text.strip().lower()
        if not needle:
            return self
        objects = _ranked(self.objects, needle, lambda o: (o.name, o.label, o.label_plural))
        reports = _ranked(
            self.reports, needle, lambda r: (r.name, r.developer_name, r.folder or "")
        )
        return Catalog(
            objects=tuple(objects),
            reports=tuple(reports),
            reports_unavailable=self.reports_unavailable,
        )

    def object(self, name: str) -> CatalogObject:
        """The object by API name (any case); unsupported names say so."""
        unsupported = unsupported_object_error(name)
        if unsupported is not None:
            raise unsupported
        for item in self.objects:
            if item.name.lower() == name.lower():
                return item
        raise NotFound(
            f"There is no object {name!r} this Salesforce user can query.",
            remedy="Check the name, or the user's object permissions in Salesforce.",
        )


def catalog_objects(sobjects: Iterable[GlobalSObject]) -> tuple[CatalogObject, ...]:
    """The importable objects of a describeGlobal answer, sorted by label."""
    kept = [
        CatalogObject(
            name=item["name"],
            label=item.get("label") or item["name"],
            label_plural=item.get("labelPlural") or item.get("label") or item["name"],
            custom=bool(item.get("custom")),
            key_prefix=item.get("keyPrefix"),
        )
        for item in sobjects
        if item.get("queryable") and is_supported_object(item["name"])
    ]
    return tuple(sorted(kept, key=lambda o: (o.label.lower(), o.name)))


def catalog_reports(records: Iterable[ReportRecord]) -> tuple[CatalogReport, ...]:
    return tuple(
        CatalogReport(
            id=record["Id"],
            name=record["Name"],
            developer_name=record.get("DeveloperName") or "",
            folder=record.get("FolderName"),
            format=record.get("Format"),
            description=record.get("Description"),
            last_run_date=record.get("LastRunDate"),
        )
        for record in records
    )


def load_catalog(client: SalesforceClient, *, include_reports: bool = True) -> Catalog:
    """Read the catalog from the org: describeGlobal, then the reports via SOQL on Report.

    A user without Run Reports (or access to the Report object) still gets the objects, and
    ``reports_unavailable`` tells why there are no reports.
    """
    objects = catalog_objects(client.rest.describe_global()["sobjects"])
    if not include_reports:
        return Catalog(objects=objects, reports=())
    try:
        reports = catalog_reports(client.reports.list_reports())
    except ApiDisabled:
        raise
    except (InsufficientAccess, ResourceNotFound) as exc:
        return Catalog(objects=objects, reports=(), reports_unavailable=exc.describe())
    except InvalidQuery:
        # INVALID_TYPE on Report: the org (or this user) has no Report object to read.
        return Catalog(
            objects=objects,
            reports=(),
            reports_unavailable="Salesforce offers no reports to this user (the Report object "
            "cannot be queried). Check the user's Run Reports permission.",
        )
    return Catalog(objects=objects, reports=reports)


def _ranked(items: Iterable[T], needle: str, texts: Callable[[T], tuple[str, ...]]) -> list[T]:
    scored: list[tuple[int, int, T]] = []
    for position, item in enumerate(items):
        lowered = [text.lower() for text in texts(item)]
        if any(text == needle for text in lowered):
            rank = 0
        elif any(text.startswith(needle) for text in lowered):
            rank = 1
        elif any(needle in text for text in lowered):
            rank = 2
        else:
            continue
        scored.append((rank, position, item))
    return [item for _, _, item in sorted(scored, key=lambda entry: entry[:2])]
