"""Pipes through the application service on a real My Data: saving checks a definition, the
output is a data set like any other, publishes rebuild what lies downstream in order, a broken
pipe keeps its last output, and concealment carries through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sfimport.app.workspace import Workspace
from sfimport.errors import PipeInvalid, UsageError
from sfimport.settings import Settings
from tests.pipes.conftest import ACCOUNTS, CONTACTS, OPPORTUNITIES, put, rows_of

OPEN_PIPELINE = """
name = "Open pipeline"
folder = "Pipes"
source = "Sales.Opportunity"

[[steps]]
filter = "NOT IsClosed"

[[steps]]
join = "Sales.Account"
on = ["AccountId", "Id"]
columns = ["Industry"]

[[steps]]
group = ["StageName", "Industry"]
aggregates = [
  { function = "sum", column = "Amount", as = "Amount" },
  { function = "count", as = "Deals" },
]
"""

BY_INDUSTRY = """
name = "By industry"
folder = "Pipes"
sql = '''
SELECT Industry, sum(Amount) AS Amount FROM Pipes."Open pipeline" GROUP BY Industry
'''
"""


def test_a_chain_of_steps_becomes_a_data_set_like_any_other(workspace: Workspace) -> None:
    run = workspace.create_pipe(OPEN_PIPELINE)
    assert run.error is None and run.rows == 3
    assert rows_of(workspace, "Pipes.Open pipeline", "1, 2") == [
        ("Negotiation", "Energy", 20.0, 1),
        ("Prospecting", "Energy", 100.0, 1),
        ("Prospecting", "Retail", 30.0, 1),
    ]
    dataset = workspace.get_dataset("Pipes.Open pipeline")
    assert dataset.kind == "pipe"
    assert [c.name for c in workspace.preview("Pipes.Open pipeline").columns] == [
        "StageName",
        "Industry",
        "Amount",
        "Deals",
    ]
    detail = workspace.get_pipe("Pipes.Open pipeline")
    assert detail.steps == ("source", "step 1 (filter)", "step 2 (join)", "step 3 (group)")
    assert detail.info.sources == ("Sales.Opportunity", "Sales.Account")
    assert "JOIN" in detail.sql and [v.version for v in detail.versions] == [1]


def test_preview_shows_first_rows_and_saves_nothing(workspace: Workspace) -> None:
    preview = workspace.preview_pipe(OPEN_PIPELINE, limit=2)
    assert len(preview.rows) == 2
    assert [c.name for c in preview.columns] == ["StageName", "Industry", "Amount", "Deals"]
    assert workspace.list_pipes() == []


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("DROP TABLE Sales.Account", "DROP"),
        ("CREATE TABLE Pipes.x AS SELECT 1", "CREATE"),
        ("DELETE FROM Sales.Account", "DELETE"),
        ("PRAGMA database_list", "PRAGMA"),
        ("ATTACH 'other.duckdb'", "ATTACH"),
        ("COPY Sales.Account TO 'out.csv'", "COPY"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
        ("SELECT * FROM '/etc/passwd'", "not a data set"),
        ("SELECT getenv('HOME') AS h", "getenv"),
        ("SELECT 1 AS a; SELECT 2 AS b", "2 statements"),
        ("SELECT * FROM Sales.Nowhere", "no data set Sales.Nowhere"),
        ("SELECT NULL AS nothing FROM Sales.Account", "no type"),
        (
            "SELECT a.Id, o.Id FROM Sales.Account a JOIN Sales.Opportunity o ON o.AccountId = a.Id",
            "Two output columns",
        ),
    ],
)
def test_saving_refuses_what_is_not_one_typed_read_only_select(
    workspace: Workspace, sql: str, words: str
) -> None:
    text = f'name = "Bad"\nsql = """{sql}"""\n'
    with pytest.raises(PipeInvalid) as raised:
        workspace.create_pipe(text)
    assert words in raised.value.message
    assert workspace.list_pipes() == []


def test_a_step_that_names_a_missing_column_is_refused_with_the_step(
    workspace: Workspace,
) -> None:
    text = 'name = "Bad"\nsource = "Sales.Opportunity"\n[[steps]]\nselect = ["Nope"]\n'
    with pytest.raises(PipeInvalid) as raised:
        workspace.create_pipe(text)
    assert raised.value.step == "step 1 (select)" and raised.value.column == "Nope"


def test_a_source_publish_rebuilds_the_chain_in_dependency_order(workspace: Workspace) -> None:
    workspace.create_pipe(OPEN_PIPELINE)
    workspace.create_pipe(BY_INDUSTRY)
    assert rows_of(workspace, "Pipes.By industry") == [("Energy", 120.0), ("Retail", 30.0)]
    more = [*OPPORTUNITIES, {**OPPORTUNITIES[2], "Id": "006E", "Amount": 5.0}]
    put(workspace, "Opportunity", more, run_id="run-2")
    assert rows_of(workspace, "Pipes.By industry") == [("Energy", 120.0), ("Retail", 35.0)]
    rebuilt = [r for r in workspace.pipe_runs(limit=10) if r.cause.endswith("(run run-2)")]
    # Newest first: the reader after the pipe it reads, each once.
    assert [r.pipe for r in rebuilt] == ["Pipes.By industry", "Pipes.Open pipeline"]
    assert all(r.trigger == "publish" and r.error is None for r in rebuilt)


def test_a_broken_pipe_keeps_its_last_output_and_says_where(workspace: Workspace) -> None:
    workspace.create_pipe(OPEN_PIPELINE)
    before = rows_of(workspace, "Pipes.Open pipeline", "1, 2")
    without_amount = [{k: v for k, v in r.items() if k != "Amount"} for r in OPPORTUNITIES]
    put(workspace, "Opportunity", without_amount, run_id="run-2")
    assert rows_of(workspace, "Pipes.Open pipeline", "1, 2") == before
    failed = workspace.pipe_runs("Pipes.Open pipeline", limit=1)[0]
    assert failed.error is not None
    assert failed.error.step == "step 3 (group)" and failed.error.column == "Amount"
    assert "Pipes.Open pipeline" in failed.error.message
    assert "last good output" in failed.error.remedy


def test_concealment_carries_through_a_join_and_pseudonyms_still_join(
    workspace: Workspace,
) -> None:
    text = """
name = "Contacts with accounts"
sql = '''
SELECT c.Email, c.LastName, a.Name AS Account, upper(a.Email) AS AccountEmail
FROM Sales.Contact c JOIN Sales.Account a ON a.Email = c.Email
'''
"""
    assert workspace.create_pipe(text).rows == 2  # p1 and p2 join; p4 has no account
    output = workspace.get_dataset("Pipes.Contacts with accounts")
    assert set(output.concealed) == {"Email", "AccountEmail"}
    detail = workspace.get_pipe("Pipes.Contacts with accounts")
    notes = {c.name: c.note for c in detail.columns}
    assert notes["AccountEmail"] == "concealed: made from Sales.Account.Email"
    assert notes["LastName"] == ""
    # A pipe reading that output cannot make the column plain either.
    again = (
        'name = "Again"\nsql = "SELECT Email AS Plain FROM Pipes.\\"Contacts with accounts\\""\n'
    )
    workspace.create_pipe(again)
    assert workspace.get_dataset("Pipes.Again").concealed == ("Plain",)


def test_pipes_reading_each_other_in_a_circle_are_refused(workspace: Workspace) -> None:
    workspace.create_pipe('name = "A"\nsql = "SELECT Id FROM Sales.Account"\n')
    workspace.create_pipe('name = "B"\nsql = "SELECT Id FROM Pipes.A"\n')
    with pytest.raises(PipeInvalid) as raised:
        workspace.edit_pipe("Pipes.A", 'name = "A"\nsql = "SELECT Id FROM Pipes.B"\n')
    assert "pipes.a -> pipes.b -> pipes.a" in raised.value.message
    assert workspace.get_pipe("Pipes.A").info.version == 1


def test_editing_keeps_every_version_and_delete_refuses_while_read(
    workspace: Workspace,
) -> None:
    workspace.create_pipe('name = "A"\nsql = "SELECT Id FROM Sales.Account"\n')
    workspace.edit_pipe("Pipes.A", 'name = "A"\nsql = "SELECT Id, Name FROM Sales.Account"\n')
    detail = workspace.get_pipe("Pipes.A")
    assert [v.version for v in detail.versions] == [2, 1]
    assert "Name" in detail.versions[0].definition
    workspace.create_pipe('name = "B"\nsql = "SELECT Id FROM Pipes.A"\n')
    assert workspace.lineage("Sales.Account").downstream == ("Pipes.A", "Pipes.B")
    with pytest.raises(UsageError, match=r"Pipes read Pipes\.A"):
        workspace.delete_pipe("Pipes.A")
    workspace.delete_pipe("Pipes.B")
    assert [p.qualified for p in workspace.list_pipes()] == ["Pipes.A"]
    assert "Pipes.B" not in [d.qualified for d in workspace.list_datasets()]


def test_contacts_fixture_is_three_rows(workspace: Workspace) -> None:
    assert len(rows_of(workspace, "Sales.Contact")) == len(CONTACTS)


def test_a_pipe_reads_a_data_set_in_history_mode_and_follows_its_publishes(
    workspace: Workspace,
) -> None:
    workspace.set_history_mode("Sales.Opportunity", True)
    text = (
        'name = "Versions"\n'
        "sql = 'SELECT count(*) AS n FROM Sales.\"Opportunity__history\" WHERE is_current'\n"
    )
    assert workspace.create_pipe(text).rows == 1
    assert rows_of(workspace, "Pipes.Versions") == [(4,)]
    assert workspace.lineage("Pipes.Versions").upstream == ("Sales.Opportunity",)
    put(workspace, "Opportunity", OPPORTUNITIES[:2], run_id="run-2")
    assert rows_of(workspace, "Pipes.Versions") == [(2,)]


def test_a_pipe_with_its_own_schedule_is_rebuilt_when_due(tmp_path: Path) -> None:
    now = [datetime(2024, 3, 1, 12, 0, tzinfo=UTC)]
    settings = Settings(home=tmp_path / "home")
    with Workspace(settings, sleep=lambda s: None, clock=lambda: now[0]) as workspace:
        put(workspace, "Account", ACCOUNTS)
        workspace.create_pipe('name = "A"\nevery = "1h"\nsql = "SELECT Id FROM Sales.Account"\n')
        assert workspace.run_due_schedules() == []
        assert [r.trigger for r in workspace.pipe_runs("Pipes.A")] == ["save"]
        now[0] += timedelta(hours=1, minutes=1)
        workspace.run_due_schedules()
        assert workspace.pipe_runs("Pipes.A")[0].trigger == "schedule"
        workspace.run_due_schedules()  # fired once, not again until the next hour
        assert len(workspace.pipe_runs("Pipes.A")) == 2


def test_every_step_kind_compiles_and_runs(workspace: Workspace) -> None:
    text = """
name = "All steps"
source = "Sales.Opportunity"

[[steps]]
union = "Sales.Opportunity"

[[steps]]
compute = "Big"
expression = "Amount >= 50"

[[steps]]
rename = { StageName = "Stage" }

[[steps]]
select = ["Stage", "Big", "Amount"]

[[steps]]
pivot = "Big"
values = "Amount"
function = "sum"
by = ["Stage"]
"""
    assert workspace.create_pipe(text).error is None
    assert rows_of(workspace, "Pipes.All steps") == [
        ("Closed Won", None, 100.0),
        ("Negotiation", 40.0, None),
        ("Prospecting", 60.0, 200.0),
    ]
    detail = workspace.get_pipe("Pipes.All steps")
    assert detail.steps[-1] == "step 5 (pivot)" and 'AS "true"' in detail.sql
