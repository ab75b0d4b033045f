"""Salesforce Files beside attachments: ContentDocument, ContentVersion and ContentDocumentLink
(read as a child of ContentDocument, as Airbyte does), and the blob URLs a query answers for
Attachment.Body and ContentVersion.VersionData serve the bytes."""

from __future__ import annotations

import base64

from tests.emulator.conftest import Http, V, error_of


def test_each_attachment_is_also_a_file_linked_to_its_record_and_owner(
    http: Http, admin_token: str
) -> None:
    attachments = http.query(
        "SELECT Id, Name, ParentId, OwnerId, BodyLength FROM Attachment", admin_token
    ).json()["records"]
    documents = http.query(
        "SELECT Id, Title, FileExtension, ContentSize, LatestPublishedVersionId,"
        " (SELECT LinkedEntityId, ShareType FROM ContentDocumentLinks)"
        " FROM ContentDocument",
        admin_token,
    ).json()["records"]
    assert len(documents) == len(attachments) > 0
    for attachment, document in zip(attachments, documents, strict=True):
        assert f"{document['Title']}.{document['FileExtension']}" == attachment["Name"]
        assert document["ContentSize"] == attachment["BodyLength"]
        links = {
            (link["LinkedEntityId"], link["ShareType"])
            for link in document["ContentDocumentLinks"]["records"]
        }
        assert links == {(attachment["ParentId"], "V"), (attachment["OwnerId"], "I")}


def test_links_need_a_filter_unless_read_through_their_document(
    http: Http, admin_token: str
) -> None:
    status, code, message = error_of(http.query("SELECT Id FROM ContentDocumentLink", admin_token))
    assert (status, code) == (400, "MALFORMED_QUERY")
    assert message.startswith("Implementation restriction: ContentDocumentLink requires")
    document = http.query("SELECT Id FROM ContentDocument LIMIT 1", admin_token).json()
    some = document["records"][0]["Id"]
    links = http.query(
        f"SELECT Id, LinkedEntityId, ContentDocumentId FROM ContentDocumentLink"
        f" WHERE ContentDocumentId = '{some}'",
        admin_token,
    )
    assert links.status_code == 200, links.text
    assert {r["ContentDocumentId"] for r in links.json()["records"]} == {some}
    assert links.json()["totalSize"] == 2


def test_describe_lists_the_files_relationships(http: Http, admin_token: str) -> None:
    described = http.get(f"{V}/sobjects/ContentDocument/describe", token=admin_token).json()
    children = {(c["childSObject"], c["field"]) for c in described["childRelationships"]}
    assert ("ContentDocumentLink", "ContentDocumentId") in children
    assert ("ContentVersion", "ContentDocumentId") in children
    version = http.get(f"{V}/sobjects/ContentVersion/describe", token=admin_token).json()
    assert {f["name"]: f["type"] for f in version["fields"]}["VersionData"] == "base64"


def test_blob_urls_serve_the_bytes(http: Http, admin_token: str) -> None:
    attachment = http.query(
        "SELECT Id, Body, BodyLength FROM Attachment LIMIT 1", admin_token
    ).json()["records"][0]
    assert attachment["Body"] == f"{V}/sobjects/Attachment/{attachment['Id']}/Body"
    response = http.get(attachment["Body"], token=admin_token)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octetstream"
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
    assert len(response.content) == attachment["BodyLength"]
    stored = http.org.tables["Attachment"].to_pylist()
    body = next(row["Body"] for row in stored if row["Id"] == attachment["Id"])
    assert response.content == base64.b64decode(body)

    version = http.query(
        "SELECT Id, VersionData, ContentSize FROM ContentVersion LIMIT 1", admin_token
    ).json()["records"][0]
    data = http.get(version["VersionData"], token=admin_token)
    assert data.status_code == 200 and len(data.content) == version["ContentSize"]


def test_blob_urls_of_unknown_records_or_fields_are_not_found(http: Http, admin_token: str) -> None:
    some = http.query("SELECT Id FROM Attachment LIMIT 1", admin_token).json()["records"][0]
    for path in (
        f"{V}/sobjects/Attachment/00P8W000000XXXXUAA/Body",
        f"{V}/sobjects/Attachment/{some['Id']}/Name",
        f"{V}/sobjects/Whizbang/{some['Id']}/Body",
    ):
        response = http.get(path, token=admin_token)
        assert error_of(response)[:2] == (404, "NOT_FOUND"), path
    assert http.get(f"{V}/sobjects/Attachment/{some['Id']}/Body").status_code == 401
