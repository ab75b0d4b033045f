"""Salesforce Files in the demo org: a ContentDocument, its ContentVersion and ContentDocumentLinks
for each attachment, derived from the Attachment table so that files and attachments agree.

Each file is linked to the record the attachment hangs on (ShareType V, visible to all users)
and to its owner (ShareType I), as Salesforce links every file to its owner. The version's
VersionData is the attachment's body, served as bytes by the blob URL like Attachment.Body.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from sfimport.emulator.catalog import CONTENT_DOCUMENT, CONTENT_DOCUMENT_LINK, CONTENT_VERSION
from sfimport.emulator.generate import empty_table
from sfimport.emulator.ids import mint_ids

#: Objects whose rows are derived here rather than generated (they cannot be scaled).
DERIVED_OBJECTS = frozenset({"ContentDocument", "ContentVersion", "ContentDocumentLink"})
# Salesforce's FileType for a file extension.
_FILE_TYPES = {
    "pdf": "PDF",
    "png": "PNG",
    "txt": "TEXT",
    "csv": "CSV",
    "docx": "WORD_X",
    "xlsx": "EXCEL_X",
}


def _table(spec_table: pa.Table, columns: Mapping[str, Sequence[Any]]) -> pa.Table:
    count = len(next(iter(columns.values())))
    schema = spec_table.schema
    arrays = [
        pa.array(columns[f.name], type=f.type) if f.name in columns else pa.nulls(count, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def content_tables(attachments: pa.Table) -> dict[str, pa.Table]:
    """ContentDocument, ContentVersion and ContentDocumentLink rows for `attachments`."""
    rows = attachments.to_pylist()
    count = len(rows)
    documents = mint_ids("069", 1, count).to_pylist()
    versions = mint_ids("068", 1, count).to_pylist()
    links = mint_ids("06A", 1, 2 * count).to_pylist()
    names = [str(row["Name"]) for row in rows]
    titles = [name.rsplit(".", 1)[0] for name in names]
    extensions = [name.rsplit(".", 1)[1].lower() if "." in name else None for name in names]
    kinds = [_FILE_TYPES.get(extension or "", "UNKNOWN") for extension in extensions]
    sizes = [len(base64.b64decode(row["Body"])) if row["Body"] else 0 for row in rows]
    created = [row["CreatedDate"] for row in rows]
    modified = [row["LastModifiedDate"] for row in rows]
    stamps = [row["SystemModstamp"] for row in rows]
    owners = [row["OwnerId"] for row in rows]
    deleted = [bool(row["IsDeleted"]) for row in rows]
    common: dict[str, Sequence[Any]] = {
        "Title": titles,
        "ContentSize": sizes,
        "FileType": kinds,
        "FileExtension": extensions,
        "OwnerId": owners,
        "CreatedById": owners,
        "CreatedDate": created,
        "LastModifiedById": owners,
        "LastModifiedDate": modified,
        "SystemModstamp": stamps,
        "IsDeleted": deleted,
        "ContentModifiedDate": modified,
        "SharingOption": ["A"] * count,
        "SharingPrivacy": ["N"] * count,
    }
    document = _table(
        empty_table(CONTENT_DOCUMENT),
        {
            "Id": documents,
            **common,
            "IsArchived": [False] * count,
            "PublishStatus": ["P"] * count,
            "LatestPublishedVersionId": versions,
            "Description": [row["Description"] for row in rows],
        },
    )
    version = _table(
        empty_table(CONTENT_VERSION),
        {
            "Id": versions,
            **common,
            "ContentDocumentId": documents,
            "IsLatest": [True] * count,
            "VersionNumber": ["1"] * count,
            "Description": [row["Description"] for row in rows],
            "PathOnClient": names,
            "VersionData": [row["Body"] for row in rows],
            "FirstPublishLocationId": [row["ParentId"] for row in rows],
            "Origin": ["C"] * count,
            "ContentLocation": ["S"] * count,
        },
    )
    link = _table(
        empty_table(CONTENT_DOCUMENT_LINK),
        {
            "Id": links,
            "LinkedEntityId": [row["ParentId"] for row in rows] + owners,
            "ContentDocumentId": documents + documents,
            "IsDeleted": deleted + deleted,
            "SystemModstamp": stamps + stamps,
            "ShareType": ["V"] * count + ["I"] * count,
            "Visibility": ["AllUsers"] * count + ["InternalUsers"] * count,
        },
    )
    return {"ContentDocument": document, "ContentVersion": version, "ContentDocumentLink": link}
