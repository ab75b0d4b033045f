"""simple-salesforce, an independent real client, against the emulator over HTTPS: the only
change from talking to a real org is the instance URL (and trusting the local CA)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.compute as pc
import pytest
import requests
from simple_salesforce import Salesforce, SalesforceExpiredSession

from sfimport.emulator import Org, create_emulator, serve_in_thread
from tests.emulator.conftest import ADMIN, fresh_org


@pytest.fixture(scope="module")
def org() -> Org:
    return fresh_org()


@pytest.fixture(scope="module")
def client(org: Org) -> Iterator[Salesforce]:
    with serve_in_thread(create_emulator(org), tls=True) as server:
        assert server.base_url.startswith("https://127.0.0.1:")
        session = requests.Session()
        session.verify = str(server.cert_path)
        # This machine presets REQUESTS_CA_BUNDLE, which requests would prefer over verify.
        session.trust_env = False
        minted = session.post(
            f"{server.base_url}/__emulator__/tokens", json={"username": ADMIN}
        ).json()
        yield Salesforce(
            instance_url=minted["instance_url"], session_id=minted["access_token"], session=session
        )
        session.close()


def test_describe_through_simple_salesforce(client: Salesforce) -> None:
    names = {entry["name"] for entry in client.describe()["sobjects"]}
    assert {"Account", "Contact", "Project__c", "AccountChangeEvent"} <= names
    contact = client.Contact.describe()
    assert contact["name"] == "Contact" and any(f["name"] == "Email" for f in contact["fields"])
    assert client.api_usage["api-usage"].total == 15000


def test_query_all_pages_over_two_thousand_rows(client: Salesforce, org: Org) -> None:
    result = client.query_all("SELECT Id, Name, Account.Name FROM Contact")
    live = org.tables["Contact"].filter(pc.invert(org.tables["Contact"]["IsDeleted"])).num_rows
    assert live > 2000
    assert result["totalSize"] == live == len(result["records"])
    assert len({r["Id"] for r in result["records"]}) == live


def test_query_all_with_include_deleted_returns_deleted_rows(client: Salesforce) -> None:
    result = client.query_all(
        "SELECT Id, IsDeleted FROM Contact WHERE IsDeleted = true", include_deleted=True
    )
    assert result["totalSize"] > 0
    assert all(record["IsDeleted"] for record in result["records"])
    assert client.query_all("SELECT Id FROM Contact WHERE IsDeleted = true")["totalSize"] == 0


def test_bad_session_raises_the_clients_expired_session_error(client: Salesforce) -> None:
    stale = Salesforce(
        instance_url=f"https://{client.sf_instance}",
        session_id="00Dx!stale",
        session=client.session,
    )
    with pytest.raises(SalesforceExpiredSession):
        stale.describe()


def test_bulk_query_through_simple_salesforce(client: Salesforce, org: Org) -> None:
    # simple-salesforce's Bulk API 1.0 path: JSON job, query batch, close, poll, result list.
    records = client.bulk.Account.query("SELECT Id, Name, CreatedDate FROM Account", wait=0)
    table = org.tables["Account"]
    live = table.filter(pc.invert(table["IsDeleted"]))
    assert len(records) == live.num_rows
    assert {r["Id"] for r in records} == set(live["Id"].to_pylist())
    first = records[0]
    assert first["attributes"]["type"] == "Account"
    # Bulk 1.0 JSON results give date-times as epoch milliseconds.
    assert isinstance(first["CreatedDate"], int) and first["CreatedDate"] > 10**12


def test_bulk_query_all_includes_deleted_rows(client: Salesforce) -> None:
    records = client.bulk.Contact.query_all(
        "SELECT Id, IsDeleted FROM Contact WHERE IsDeleted = true", wait=0
    )
    assert records and all(r["IsDeleted"] for r in records)


def test_a_bad_bulk_query_fails_its_batch_with_salesforces_message(client: Salesforce) -> None:
    from simple_salesforce.exceptions import SalesforceGeneralError

    with pytest.raises(SalesforceGeneralError) as raised:
        client.bulk.Account.query("SELECT Nope__c FROM Account", wait=0)
    assert "InvalidBatch : Failed to process query: INVALID_FIELD" in str(raised.value)
