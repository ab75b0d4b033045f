"""The catalog: queryable objects minus the unsupported list and *ChangeEvent, reports with
their folder, and search by name and label."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from sfimport.errors import NotFound, NotSupportedObject
from sfimport.extract.catalog import (
    UNSUPPORTED_OBJECTS,
    Catalog,
    CatalogObject,
    CatalogReport,
    catalog_objects,
    is_supported_object,
    load_catalog,
)
from sfimport.salesforce import OAuthApp, OAuthClient, SalesforceAuth, SalesforceClient
from tests.salesforce.conftest import make_tokens
from tests.salesforce.emulated import demo_user, emulator
from tests.salesforce.recordings import load, recordings_dir

GLOBAL = load("rest-describe/cumulusci__GET_sobjects_Global_describe__200.yaml").json()


def spec_list() -> set[str]:
    path = recordings_dir().parent / "spec" / "unsupported-objects.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def global_object(
    name: str, *, queryable: bool = True, label: str | None = None
) -> dict[str, object]:
    return {
        "name": name,
        "label": label or name,
        "labelPlural": (label or name) + "s",
        "custom": name.endswith("__c"),
        "keyPrefix": None,
        "queryable": queryable,
    }


def test_the_packaged_unsupported_list_is_the_product_spec_list() -> None:
    assert spec_list() == UNSUPPORTED_OBJECTS


def test_catalog_exclusions_are_exact_on_a_real_describe_global() -> None:
    sobjects = GLOBAL["sobjects"]
    names = {o.name for o in catalog_objects(sobjects)}
    expected = {
        o["name"]
        for o in sobjects
        if o["queryable"] and o["name"] not in spec_list() and not o["name"].endswith("ChangeEvent")
    }
    assert names == expected
    # The real org lists unsupported objects that claim to be queryable: they are dropped.
    dropped = {o["name"] for o in sobjects if o["queryable"]} & spec_list()
    assert {"UserRecordAccess", "Vote", "UserFieldAccess"} <= dropped
    assert not names & dropped
    assert "Account" in names


def test_change_events_and_unqueryable_objects_are_excluded() -> None:
    objects = catalog_objects(
        [
            global_object("Account"),
            global_object("AccountChangeEvent"),
            global_object("Invoice__ChangeEvent"),
            global_object("CaseStatus"),
            global_object("AggregateResult"),
            global_object("Widget__c"),
            global_object("ApexLog", queryable=False),
        ]
    )
    assert [o.name for o in objects] == ["Account", "Widget__c"]


@pytest.mark.parametrize(
    ("name", "supported"),
    [
        ("Lead", True),
        ("leadchangeevent", False),
        ("casestatus", False),
        ("Name", False),
        ("Case", True),
    ],
)
def test_support_is_decided_case_insensitively(name: str, supported: bool) -> None:
    assert is_supported_object(name) is supported


def catalog() -> Catalog:
    return Catalog(
        objects=catalog_objects(
            [
                global_object("Account"),
                global_object("Lead"),
                global_object("LeadHistory", label="Lead History"),
                global_object("Opportunity"),
                global_object("Invoice__c", label="Customer Invoice"),
                global_object("Campaign", label="Campaign"),
            ]
        ),
        reports=(
            CatalogReport(
                "00O000000000001AAA", "Leads by Source", "Leads_by_Source", "Marketing", "Summary"
            ),
            CatalogReport("00O000000000002AAA", "Pipeline", "Pipeline", "Sales", "Matrix"),
        ),
    )


def test_searching_lead_finds_lead_first() -> None:
    found = catalog().search("lead")
    assert [o.name for o in found.objects] == ["Lead", "LeadHistory"]
    assert [r.name for r in found.reports] == ["Leads by Source"]


def test_search_matches_labels_in_any_case() -> None:
    assert [o.name for o in catalog().search("INVOICE").objects] == ["Invoice__c"]
    assert [r.name for r in catalog().search("sales").reports] == ["Pipeline"]


def test_an_empty_search_returns_everything() -> None:
    assert catalog().search("  ") == catalog()


def test_finding_an_object_by_name() -> None:
    assert catalog().object("lead") == CatalogObject("Lead", "Lead", "Leads", False, None)
    with pytest.raises(NotSupportedObject):
        catalog().object("AccountChangeEvent")
    with pytest.raises(NotFound):
        catalog().object("Secret__c")


def client_for(handler: object) -> SalesforceClient:
    http = httpx2.Client(transport=httpx2.MockTransport(handler))  # type: ignore[arg-type]
    return SalesforceClient(
        "https://acme.my.salesforce.com", SalesforceAuth(make_tokens(), None), http=http
    )


def test_load_catalog_reads_objects_and_reports_with_folders() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/sobjects"):
            return httpx2.Response(200, json=GLOBAL)
        page = {
            "totalSize": 1,
            "done": True,
            "records": [
                {
                    "attributes": {"type": "Report"},
                    "Id": "00O000000000001AAA",
                    "Name": "Pipeline",
                    "DeveloperName": "Pipeline",
                    "FolderName": "Sales",
                    "Format": "Matrix",
                }
            ],
        }
        return httpx2.Response(200, json=page)

    loaded = load_catalog(client_for(handler))
    assert "Account" in {o.name for o in loaded.objects}
    assert loaded.reports == (
        CatalogReport("00O000000000001AAA", "Pipeline", "Pipeline", "Sales", "Matrix"),
    )
    assert loaded.reports_unavailable is None


def test_without_run_reports_the_catalog_has_objects_and_says_why_no_reports() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/sobjects"):
            return httpx2.Response(200, json=GLOBAL)
        body = [{"errorCode": "INSUFFICIENT_ACCESS", "message": "Insufficient privileges"}]
        return httpx2.Response(403, content=json.dumps(body).encode())

    loaded = load_catalog(client_for(handler))
    assert loaded.objects
    assert loaded.reports == ()
    assert loaded.reports_unavailable is not None
    assert "permission" in loaded.reports_unavailable


def test_catalog_module_does_not_read_the_spec_folder_at_run_time() -> None:
    import sfimport.extract.catalog as module

    assert "shared" not in Path(module.__file__).read_text(encoding="utf-8")


def test_catalog_exclusions_are_exact_against_the_emulator() -> None:
    with emulator() as emulated, httpx2.Client() as http:
        app = OAuthApp(client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
        oauth = OAuthClient(http, emulated.base_url, app)
        tokens = oauth.refresh(emulated.refresh_token_for(demo_user("admin")))
        client = SalesforceClient(tokens.instance_url, SalesforceAuth(tokens, None), http=http)
        listed = client.rest.describe_global()["sobjects"]
        loaded = load_catalog(client)
    names = {o["name"] for o in listed}
    # The emulator lists what the product must skip, so the check below is not vacuous.
    assert names & spec_list()
    assert any(name.endswith("ChangeEvent") for name in names)
    assert any(not o["queryable"] for o in listed)
    expected = {
        o["name"]
        for o in listed
        if o["queryable"] and o["name"] not in spec_list() and not o["name"].endswith("ChangeEvent")
    }
    assert {o.name for o in loaded.objects} == expected
    assert {"Account", "Lead", "Opportunity"} <= expected
    assert any(o.custom for o in loaded.objects)
    assert loaded.search("lead").objects[0].name == "Lead"
