"""A Workspace on a fresh data folder with small data sets published straight into My Data (no
Salesforce): Sales.Account, Sales.Opportunity and Sales.Contact, with Contact.Email concealed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sfimport.app.workspace import Workspace
from sfimport.settings import Settings
from sfimport.store.mydata import Publication
from sfimport.store.names import table_ref

ACCOUNTS = [
    {"Id": "001A", "Name": "Acme", "Industry": "Energy", "Email": "p1 concealed"},
    {"Id": "001B", "Name": "Globex", "Industry": "Retail", "Email": "p2 concealed"},
    {"Id": "001C", "Name": "Initech", "Industry": "Energy", "Email": "p3 concealed"},
]
OPPORTUNITIES = [
    {
        "Id": "006A",
        "AccountId": "001A",
        "StageName": "Prospecting",
        "Amount": 100.0,
        "IsClosed": False,
    },
    {
        "Id": "006B",
        "AccountId": "001A",
        "StageName": "Closed Won",
        "Amount": 50.0,
        "IsClosed": True,
    },
    {
        "Id": "006C",
        "AccountId": "001B",
        "StageName": "Prospecting",
        "Amount": 30.0,
        "IsClosed": False,
    },
    {
        "Id": "006D",
        "AccountId": "001C",
        "StageName": "Negotiation",
        "Amount": 20.0,
        "IsClosed": False,
    },
]
CONTACTS = [
    {"Id": "003A", "AccountId": "001A", "LastName": "Person 1", "Email": "p1 concealed"},
    {"Id": "003B", "AccountId": "001B", "LastName": "Person 2", "Email": "p2 concealed"},
    {"Id": "003C", "AccountId": "001B", "LastName": "Person 4", "Email": "p4 concealed"},
]


def put(
    workspace: Workspace,
    name: str,
    rows: Sequence[dict[str, Any]],
    *,
    concealed: Sequence[str] = (),
    folder: str = "Sales",
    run_id: str = "run-1",
) -> None:
    """Publish ``rows`` as data set folder.name, the way an import's publish does."""
    table = pa.Table.from_pylist(list(rows))
    mydata = workspace._mydata
    with mydata.stage(run_id, folder, name, table.schema) as writer:
        writer.write(table)
    staged = writer.close()
    mydata.publish(
        staged,
        Publication(
            folder=folder,
            name=name,
            connection="demo",
            source=name,
            concealed=tuple(concealed),
            run_id=run_id,
        ),
    )


def rows_of(workspace: Workspace, qualified: str, order: str = "1") -> list[tuple[Any, ...]]:
    folder, _, name = qualified.partition(".")
    result = workspace.query(f"SELECT * FROM {table_ref(folder, name)} ORDER BY {order}")
    return [tuple(r) for r in result.rows]


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace(Settings(home=tmp_path / "home"), sleep=lambda s: None) as workspace:
        put(workspace, "Account", ACCOUNTS, concealed=["Email"])
        put(workspace, "Opportunity", OPPORTUNITIES)
        put(workspace, "Contact", CONTACTS, concealed=["Email"])
        yield workspace
